/** The standalone proxy's command line. */
export { parseProxyArgs, USAGE, type ProxyArgs } from "./args.ts";
export { loadStandalonePolicy, type StandalonePolicy } from "./load-policy.ts";
export { runStandalone } from "./run.ts";
