import type { Entity } from "./types.ts";

/**
 * The fixed vocabularies of the policy API: entity names, ICMP type names, Kafka API keys and
 * roles. Sources: cilium/cilium pkg/policy/api/entity.go, icmp.go; cilium/proxy
 * pkg/policy/api/kafka/kafka.go.
 */

/** Entities the agent knows. The CRD enum lacks `world-ipv4`/`world-ipv6` (API-only). */
export const ENTITIES: readonly Entity[] = [
  "all",
  "world",
  "world-ipv4",
  "world-ipv6",
  "cluster",
  "host",
  "init",
  "ingress",
  "unmanaged",
  "remote-node",
  "health",
  "none",
  "kube-apiserver",
];

/** Entities the CRD schema's enum accepts. */
export const CRD_ENTITIES: readonly Entity[] = ENTITIES.filter((e) => e !== "world-ipv4" && e !== "world-ipv6");

/** ICMPv4 type names → numbers. */
export const ICMPV4_TYPES: ReadonlyMap<string, number> = new Map([
  ["EchoReply", 0],
  ["DestinationUnreachable", 3],
  ["Redirect", 5],
  ["Echo", 8],
  ["EchoRequest", 8],
  ["RouterAdvertisement", 9],
  ["RouterSelection", 10],
  ["TimeExceeded", 11],
  ["ParameterProblem", 12],
  ["Timestamp", 13],
  ["TimestampReply", 14],
  ["Photuris", 40],
  ["ExtendedEchoRequest", 42],
  ["ExtendedEchoReply", 43],
]);

/** ICMPv6 type names → numbers. */
export const ICMPV6_TYPES: ReadonlyMap<string, number> = new Map([
  ["DestinationUnreachable", 1],
  ["PacketTooBig", 2],
  ["TimeExceeded", 3],
  ["ParameterProblem", 4],
  ["EchoRequest", 128],
  ["EchoReply", 129],
  ["MulticastListenerQuery", 130],
  ["MulticastListenerReport", 131],
  ["MulticastListenerDone", 132],
  ["RouterSolicitation", 133],
  ["RouterAdvertisement", 134],
  ["NeighborSolicitation", 135],
  ["NeighborAdvertisement", 136],
  ["RedirectMessage", 137],
  ["RouterRenumbering", 138],
  ["ICMPNodeInformationQuery", 139],
  ["ICMPNodeInformationResponse", 140],
  ["InverseNeighborDiscoverySolicitation", 141],
  ["InverseNeighborDiscoveryAdvertisement", 142],
  ["HomeAgentAddressDiscoveryRequest", 144],
  ["HomeAgentAddressDiscoveryReply", 145],
  ["MobilePrefixSolicitation", 146],
  ["MobilePrefixAdvertisement", 147],
  ["DuplicateAddressRequestCodeSuffix", 157],
  ["DuplicateAddressConfirmationCodeSuffix", 158],
  ["ExtendedEchoRequest", 160],
  ["ExtendedEchoReply", 161],
]);

/** Kafka API key names (lowercase) → numbers, as Cilium's Kafka policy knows them. */
export const KAFKA_API_KEYS: ReadonlyMap<string, number> = new Map([
  ["produce", 0],
  ["fetch", 1],
  ["offsets", 2],
  ["metadata", 3],
  ["leaderandisr", 4],
  ["stopreplica", 5],
  ["updatemetadata", 6],
  ["controlledshutdown", 7],
  ["offsetcommit", 8],
  ["offsetfetch", 9],
  ["findcoordinator", 10],
  ["joingroup", 11],
  ["heartbeat", 12],
  ["leavegroup", 13],
  ["syncgroup", 14],
  ["describegroups", 15],
  ["listgroups", 16],
  ["saslhandshake", 17],
  ["apiversions", 18],
  ["createtopics", 19],
  ["deletetopics", 20],
  ["deleterecords", 21],
  ["initproducerid", 22],
  ["offsetforleaderepoch", 23],
  ["addpartitionstotxn", 24],
  ["addoffsetstotxn", 25],
  ["endtxn", 26],
  ["writetxnmarkers", 27],
  ["txnoffsetcommit", 28],
  ["describeacls", 29],
  ["createacls", 30],
  ["deleteacls", 31],
  ["describeconfigs", 32],
  ["alterconfigs", 33],
]);

/** The API keys a Kafka `role` stands for. */
export const KAFKA_ROLES: ReadonlyMap<"produce" | "consume", readonly number[]> = new Map([
  ["produce", [0, 3, 18]],
  ["consume", [1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18]],
]);
