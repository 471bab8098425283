#!/usr/bin/env node
// A contact worker process: drains contacts' inboxes through the evaluator, fires their
// wake-ups. Run as many as needed (same as `waymark worker`); configured by the environment.
import { serve } from "../dist/cli/serve.js";

process.exit(await serve("worker"));
