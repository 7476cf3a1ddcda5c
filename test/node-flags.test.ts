import assert from "node:assert/strict";
import { test } from "node:test";
import { PROXY_NODE_FLAGS } from "@membrane/proxy";
import { AGENT_NODE_FLAGS } from "../packages/cli/src/commands/agent.ts";

test("the agent, which hosts the proxies, starts with the proxies' Node flags", () => {
  assert.deepEqual(AGENT_NODE_FLAGS, PROXY_NODE_FLAGS);
});
