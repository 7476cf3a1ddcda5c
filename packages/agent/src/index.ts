/** @membrane/agent: the node agent and the lab (Linux, root). `./main` is its command line. */
export { NodeAgent, type AgentError, type MapPressure } from "./node/node-agent.ts";
export { attachEndpoint, ifindexOf } from "./node/attach.ts";
export { Lab, type LabError, type LabNode } from "./lab/lab.ts";
export { runLive, worldIpsOf, DEFAULT_LIVE_OPTIONS, type LiveOptions } from "./live/live-test.ts";
export { kernelFlowRecord, recordKernelFlows } from "./observer/kernel-flows.ts";
