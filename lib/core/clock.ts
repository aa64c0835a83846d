/** The time source the core is given; it never reads the clock itself. */
export interface Clock {
  /** Milliseconds since the Unix epoch, by an AWS-side clock (a Lambda's), never a node's. */
  now(): number;
}
