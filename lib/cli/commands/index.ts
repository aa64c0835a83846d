/**
 * Every `baton` command, in the order `baton --help` lists them. To add one: a file here exporting a
 * CommandModule (see lib/cli/command.ts), and its name in this list.
 */
import type { CommandModule } from "../command.js";
import { history } from "./history.js";
import { startNode } from "./start-node.js";
import { status } from "./status.js";
import { unfreeze } from "./unfreeze.js";
import { validate } from "./validate.js";

export const COMMANDS: readonly CommandModule[] = [status, history, startNode, unfreeze, validate];
