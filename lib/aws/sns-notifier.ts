import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Notifier } from "../core/controller/adapters.js";
import { awsCall } from "./aws-call.js";

/** SNS refuses a subject over 100 characters, or one with line breaks or control characters. */
export const SNS_SUBJECT_MAX = 100;

/** Notifier on an SNS topic (the cluster's e-mail subscriptions hang off it). */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: string): Promise<void> {
    await awsCall("Publish", () =>
      this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: snsSubject(subject), Message: message })),
    );
  }
}

/** A subject SNS accepts: printable ASCII on one line, at most 100 characters, never empty. */
export function snsSubject(subject: string): string {
  const clean = subject
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7e]/g, "?")
    .trim();
  if (!clean) return "Baton";
  return clean.length <= SNS_SUBJECT_MAX ? clean : `${clean.slice(0, SNS_SUBJECT_MAX - 3).trimEnd()}...`;
}
