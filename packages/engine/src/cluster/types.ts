import type { Position } from "../source/node.ts";

/**
 * The cluster membrane decides for, read from plain Kubernetes objects
 * (`../shared/spec/connectivity-test.md`): namespaces, pods, nodes and services.
 */

/** Where an object was written. */
export interface ObjectSource {
  readonly file: string;
  readonly document: number;
  readonly pos: Position;
}

/** A namespace; `kubernetes.io/metadata.name` is always among its labels, as the API server sets it. */
export interface Namespace {
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly annotations?: ReadonlyMap<string, string>;
}

/** L4 protocols of Kubernetes ports. */
export type K8sProtocol = "TCP" | "UDP" | "SCTP";

/** A container port; named ones are what named-port rules resolve against. */
export interface ContainerPort {
  readonly name: string | null;
  readonly port: number;
  readonly protocol: K8sProtocol;
}

/** A pod. `ips` come from status, or are allocated from the node's pod CIDR. */
export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly annotations?: ReadonlyMap<string, string>;
  readonly nodeName: string | null;
  readonly serviceAccount: string;
  readonly hostNetwork: boolean;
  readonly ports: readonly ContainerPort[];
  readonly ips: readonly string[];
  readonly source: ObjectSource;
}

/** A node with its InternalIP addresses and pod CIDRs. */
export interface Node {
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly addresses: readonly string[];
  readonly podCIDRs: readonly string[];
  readonly source: ObjectSource;
}

/** A service port: `targetPort` is a number or a container port name. */
export interface ServicePort {
  readonly name: string | null;
  readonly port: number;
  readonly targetPort: number | string;
  readonly protocol: K8sProtocol;
}

/**
 * A service. `selector` null means a service without selector, whose backends are the addresses
 * of its Endpoints/EndpointSlices (`endpointAddresses`).
 */
export interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly selector: ReadonlyMap<string, string> | null;
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ServicePort[];
  readonly endpointAddresses: readonly string[];
  readonly source: ObjectSource;
}

/** The whole cluster. */
export interface Cluster {
  readonly name: string;
  readonly namespaces: ReadonlyMap<string, Namespace>;
  readonly pods: readonly Pod[];
  readonly nodes: readonly Node[];
  readonly services: readonly Service[];
}
