/**
 * The pure core of Waymark: the journey language, its compiler and the evaluator.
 * No IO, no clock, no environment, no randomness.
 */
export { compile, MAX_TOUCHPOINTS, type Compiled, type CJourney } from "./compile/compiler.js";
export { evaluate, evaluateOwned, type EvaluateOptions } from "./eval/evaluate.js";
export { mergeContacts } from "./eval/merge.js";
export { attribute, type Credit, type Touchpoint, type Model } from "./eval/attribution.js";
export { quietUntil } from "./eval/quiet-hours.js";
export { loadDefinitions, type Definitions, type LoadInput, type LoadResult, type SourceFile } from "./load/definitions.js";
export { defaultSubject } from "./load/check.js";
export { formatProblem, type Problem } from "./load/problems.js";
export { Message, eventTime, resolveMessage, type Resolved } from "./messages.js";
export type { AckInput, Cursors, Effect, EventInput, Evaluation, Input, JournalRecord, WakeInput } from "./model/io.js";
export { newContact, type ContactState, type Run } from "./model/state.js";
export { runPosition, type RunPosition } from "./eval/position.js";
export { Simulator, type SimulatorSink } from "./simulator.js";
export { Journey } from "./schema/journey.js";
export { DEFAULT_SENDER, emailSender, Workspace } from "./schema/workspace.js";
export { parseDuration } from "./duration.js";
