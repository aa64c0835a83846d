import { Duration, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { ids } from "./names.js";

export interface NotificationsProps {
  /** Addresses subscribed to the topic; each one must confirm the subscription email. */
  readonly emails: readonly string[];
}

/**
 * The cluster's notification topic (failovers, failed groups, alarms) with one email
 * subscription per address of the definition.
 *
 * The topic is encrypted with a customer-managed key (rotated yearly) whose policy also lets
 * CloudWatch alarms publish to it. Messages SNS cannot deliver to an address go to an
 * encrypted dead-letter queue instead of being dropped: a failover notice nobody received
 * should still be there to read.
 */
export class Notifications extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);

    this.key = new kms.Key(this, ids.topicKey, {
      description: "Baton notifications topic encryption",
      enableKeyRotation: true,
    });
    // CloudWatch alarm actions publish to an encrypted topic only if CloudWatch may use its key.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    // Only for this account's alarms: without aws:SourceAccount, CloudWatch acting for an alarm of any other
    // account could use the key (the confused deputy problem).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowCloudWatchAlarmsToPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
    );

    this.topic = new sns.Topic(this, ids.topic, {
      displayName: "Baton",
      masterKey: this.key,
      enforceSSL: true,
    });

    this.deadLetterQueue = new sqs.Queue(this, ids.subscriptionDlq, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const reason =
      "This queue is the dead-letter queue of the topic's email subscriptions; a dead-letter queue of its own would never receive anything.";
    Validations.of(this.deadLetterQueue).acknowledge({ id: "AwsSolutions-SQS3", reason });
    Validations.of(this.deadLetterQueue).acknowledge({ id: "Serverless-SQSRedrivePolicy", reason });

    for (const email of props.emails) {
      new sns.Subscription(this, ids.emailSubscription(email), {
        topic: this.topic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: email,
        deadLetterQueue: this.deadLetterQueue,
      });
    }
  }
}
