import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TABLE_KEYS } from "../aws/table-layout.js";

/** Creates a table with the deployed key schema (lib/infra uses the same TABLE_KEYS). */
export async function createStateTableIn(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partition, AttributeType: "S" },
        { AttributeName: TABLE_KEYS.sort, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: TABLE_KEYS.partition, KeyType: "HASH" },
        { AttributeName: TABLE_KEYS.sort, KeyType: "RANGE" },
      ],
    }),
  );
}
