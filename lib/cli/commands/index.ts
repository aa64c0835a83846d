/**
 * Every `baton` command, in the order `baton --help` lists them. To add one: a file here exporting a
 * CommandModule (see lib/cli/command.ts), and its name in this list.
 */
import type { CommandModule } from "../command.js";
import { drain } from "./drain.js";
import { drill } from "./drill.js";
import { history } from "./history.js";
import { move } from "./move.js";
import { reset } from "./reset.js";
import { resume } from "./resume.js";
import { simulateCommand } from "./simulate.js";
import { startNode } from "./start-node.js";
import { status } from "./status.js";
import { unfreeze } from "./unfreeze.js";
import { validate } from "./validate.js";

export const COMMANDS: readonly CommandModule[] = [
  status,
  history,
  move,
  drain,
  resume,
  reset,
  startNode,
  drill,
  unfreeze,
  validate,
  simulateCommand,
];
