import assert from "node:assert/strict";
import { test } from "node:test";
import type { HttpRule } from "../policy-api/types.ts";
import { grpcRequest, HttpMatcher, type HttpRequest } from "./http.ts";

const pos = { line: 1, column: 1, offset: 0 };
const rule = (r: Partial<HttpRule>): HttpRule => ({ method: null, path: null, host: null, headers: [], headerMatches: [], pos, ...r });
const req = (method: string, path: string, headers: Record<string, string> = {}, host = "svc"): HttpRequest => ({
  method,
  path,
  host,
  headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])),
});

test("§8.1: rules OR, fields AND, RE2 full matches on method, path (query included) and host", () => {
  const m = new HttpMatcher([
    rule({ method: "GET|HEAD", path: "/public/.*" }),
    rule({ method: "POST", path: "/submit", host: "api\\.example\\.com(:8080)?" }),
  ]);
  assert.equal(m.decide(req("GET", "/public/x")).allowed, true);
  assert.equal(m.decide(req("HEAD", "/public/")).allowed, true);
  assert.equal(m.decide(req("GET", "/public")).allowed, false);
  assert.equal(m.decide(req("GETX", "/public/x")).allowed, false);
  assert.equal(m.decide(req("POST", "/submit", {}, "api.example.com:8080")).allowed, true);
  assert.equal(m.decide(req("POST", "/submit", {}, "apiXexample.com")).allowed, false);
  assert.equal(new HttpMatcher([rule({ path: "/api" })]).decide(req("GET", "/api?x=1")).allowed, false);
  assert.equal(new HttpMatcher([rule({})]).decide(req("DELETE", "/anything")).allowed, true, "an empty rule matches everything");
});

test("§8.1 headers: `Name: value` is exact (names case-insensitive), a bare name is presence", () => {
  const m = new HttpMatcher([rule({ headers: ["X-Token: abc", "X-Present"] })]);
  assert.equal(m.decide(req("GET", "/", { "x-token": "abc", "x-present": "" })).allowed, true);
  assert.equal(m.decide(req("GET", "/", { "x-token": "abcd", "x-present": "" })).allowed, false);
  assert.equal(m.decide(req("GET", "/", { "x-token": "abc" })).allowed, false);
});

test("§8.1 headerMatches: FAIL denies; LOG, ADD, DELETE, REPLACE still match and edit", () => {
  const hm = (mismatch: "LOG" | "ADD" | "DELETE" | "REPLACE" | null) =>
    new HttpMatcher([rule({ headerMatches: [{ name: "X-Env", value: "prod", secret: null, mismatch }] })]);
  assert.equal(hm(null).decide(req("GET", "/", { "x-env": "dev" })).allowed, false);
  assert.deepEqual(hm("LOG").decide(req("GET", "/", { "x-env": "dev" })), {
    allowed: true,
    rule: 0,
    actions: [{ kind: "log", name: "x-env" }],
  });
  assert.deepEqual(hm("ADD").decide(req("GET", "/")).actions, [{ kind: "add", name: "x-env", value: "prod" }]);
  assert.deepEqual(hm("DELETE").decide(req("GET", "/", { "x-env": "dev" })).actions, [{ kind: "delete", name: "x-env" }]);
  assert.deepEqual(hm("REPLACE").decide(req("GET", "/", { "x-env": "dev" })).actions, [{ kind: "replace", name: "x-env", value: "prod" }]);
  assert.deepEqual(hm("REPLACE").decide(req("GET", "/", { "x-env": "prod" })).actions, [], "no mismatch, no action");
});

test("§8.1 gRPC: POST to /package.Service/Method", () => {
  const m = new HttpMatcher([rule({ method: "POST", path: "/cloudcity.DoorManager/GetName" })]);
  assert.equal(m.decide(grpcRequest("cloudcity.DoorManager", "GetName", "door")).allowed, true);
  assert.equal(m.decide(grpcRequest("cloudcity.DoorManager", "Open", "door")).allowed, false);
});
