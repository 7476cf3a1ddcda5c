import assert from "node:assert/strict";
import { test } from "node:test";
import type { L7Policy } from "@membrane/engine";
import { headerMatch, httpPolicy, httpRule } from "../test-support/rules.ts";
import { RequestDecider } from "./decide.ts";
import { applyHeaderActions, toHttpRequest, withoutHopByHop, type HeaderList } from "./headers.ts";
import { deniedReply, percentEncodeGrpcMessage } from "./local-reply.ts";

const get = (path: string, headers: HeaderList = []) => toHttpRequest("GET", path, "svc", headers);

test("only allow-all and http policies allow anything (fail closed)", () => {
  const d = new RequestDecider();
  const req = get("/");
  const cases: [L7Policy, "allow" | "deny"][] = [
    [{ kind: "allow-all", parser: "http", why: "test" }, "allow"],
    [httpPolicy(httpRule({})), "allow"],
    [httpPolicy(), "deny"],
    [{ kind: "conflict", message: "x" }, "deny"],
    [{ kind: "not-redirected" }, "deny"],
    [{ kind: "kafka", rules: [] }, "deny"],
    [{ kind: "dns", rules: [] }, "deny"],
    [{ kind: "tls", serverNames: [] }, "deny"],
    [{ kind: "l7proto", l7proto: "x", rules: [] }, "deny"],
  ];
  for (const [policy, want] of cases) assert.equal(d.decide(policy, req).kind, want, policy.kind);
});

test("http rules: path full match with query, method alternation, header presence", () => {
  const d = new RequestDecider();
  const p = httpPolicy(httpRule({ method: "GET|HEAD", path: "/public" }), httpRule({ headers: ["X-Token"] }));
  assert.equal(d.decide(p, get("/public")).kind, "allow");
  assert.equal(d.decide(p, get("/public?x=1")).kind, "deny");
  assert.equal(d.decide(p, toHttpRequest("POST", "/public", "svc", [])).kind, "deny");
  assert.equal(d.decide(p, get("/other", [["x-token", ""]])).kind, "allow");
});

test("header actions edit the forwarded fields as Envoy does", () => {
  const fields: HeaderList = [
    ["a", "1"],
    ["b", "2"],
    ["a", "3"],
  ];
  assert.deepEqual(
    applyHeaderActions(fields, [
      { kind: "add", name: "c", value: "4" },
      { kind: "delete", name: "a" },
      { kind: "replace", name: "b", value: "5" },
      { kind: "log", name: "b" },
    ]),
    [
      ["c", "4"],
      ["b", "5"],
    ],
  );
  const d = new RequestDecider();
  const p = httpPolicy(httpRule({ headerMatches: [headerMatch("X-Id", "7", "REPLACE")] }));
  const v = d.decide(p, get("/", [["x-id", "1"]]));
  assert.deepEqual(v, { kind: "allow", rule: 0, actions: [{ kind: "replace", name: "x-id", value: "7" }] });
});

test("hop-by-hop fields and those named by Connection are not forwarded", () => {
  const fields: HeaderList = [
    ["connection", "close, x-secret"],
    ["x-secret", "1"],
    ["keep-alive", "timeout=5"],
    ["te", "trailers"],
    ["upgrade", "h2c"],
    ["x-kept", "1"],
  ];
  assert.deepEqual(withoutHopByHop(fields, false), [["x-kept", "1"]]);
  assert.deepEqual(withoutHopByHop(fields, true), [
    ["te", "trailers"],
    ["x-kept", "1"],
  ]);
});

test("denials: 403 Access denied, or a trailers-only PERMISSION_DENIED for gRPC", () => {
  assert.deepEqual(deniedReply(false), {
    status: 403,
    code: 403,
    headers: [
      ["content-length", "15"],
      ["content-type", "text/plain"],
    ],
    body: "Access denied\r\n",
  });
  assert.deepEqual(deniedReply(true), {
    status: 200,
    code: 403,
    headers: [
      ["content-type", "application/grpc"],
      ["grpc-status", "7"],
      ["grpc-message", "Access denied%0D%0A"],
    ],
    body: "",
  });
  assert.equal(percentEncodeGrpcMessage("50% é"), "50%25 %C3%A9");
});
