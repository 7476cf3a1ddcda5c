/** @membrane/agent: the node agent and the lab (Linux, root). `./main` is its command line. */
export { NodeAgent, type AgentError, type MapPressure } from "./node/node-agent.ts";
export { attach, HOOKS } from "./node/attach.ts";
export { Lab, type LabError, type LabNode } from "./lab/lab.ts";
export { runLive, worldIpsOf, DEFAULT_LIVE_OPTIONS, type LiveOptions } from "./live/live-test.ts";
export { kernelFlowRecord, pipeLabFlows, fileSink } from "./observer/lab-flows.ts";
export { FlowObserver, DEFAULT_RING_CAPACITY } from "./observer/flow-observer.ts";
export { serveObserver, metricsText, type AgentFigures } from "./server/observer-server.ts";
