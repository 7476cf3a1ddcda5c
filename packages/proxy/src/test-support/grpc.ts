import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const PROTO = fileURLToPath(new URL("../http/testdata/greeter.proto", import.meta.url));

/** A message of the test service (`HelloRequest`, `HelloReply`, `CountRequest`, `CountReply`). */
export type Message = Record<string, unknown>;

type Method = grpc.MethodDefinition<Message, Message>;

/** The Greeter service's methods, as grpc-js defines them. */
export interface GreeterMethods {
  readonly SayHello: Method;
  readonly SayGoodbye: Method;
  readonly Count: Method;
}

/** Loads the service definition of `testdata/greeter.proto`. */
export function greeterService(): GreeterMethods & grpc.ServiceDefinition {
  const def = loadSync(PROTO, { keepCase: false, defaults: true });
  return def["membrane.test.Greeter"] as unknown as GreeterMethods & grpc.ServiceDefinition;
}

/** A running gRPC server with the number of calls it handled. */
export interface TestGrpcServer {
  readonly port: number;
  readonly calls: string[];
  close(): Promise<void>;
}

/** Starts the Greeter on 127.0.0.1 (h2c). */
export async function startGreeter(): Promise<TestGrpcServer> {
  const service = greeterService();
  const calls: string[] = [];
  const server = new grpc.Server();
  server.addService(service, {
    SayHello: (call: grpc.ServerUnaryCall<Message, Message>, cb: grpc.sendUnaryData<Message>) => {
      calls.push("SayHello");
      cb(null, { message: `hello ${String(call.request["name"])}` });
    },
    SayGoodbye: (call: grpc.ServerUnaryCall<Message, Message>, cb: grpc.sendUnaryData<Message>) => {
      calls.push("SayGoodbye");
      cb(null, { message: `bye ${String(call.request["name"])}` });
    },
    Count: (call: grpc.ServerWritableStream<Message, Message>) => {
      calls.push("Count");
      const upTo = Number(call.request["upTo"]);
      for (let n = 1; n <= upTo; n++) call.write({ n });
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e))),
  );
  return {
    port,
    calls,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** A plain grpc-js client to `127.0.0.1:port` (no TLS: h2c with prior knowledge). */
export function grpcClient(port: number): grpc.Client {
  return new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** What a unary call gave: the reply, or the status it failed with. */
export type UnaryResult =
  { readonly ok: true; readonly reply: Message } | { readonly ok: false; readonly code: number; readonly details: string };

/** Makes a unary call. */
export function unary(client: grpc.Client, method: Method, request: Message): Promise<UnaryResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, (e, reply) => {
      if (e !== null) resolve({ ok: false, code: e.code, details: e.details });
      else resolve({ ok: true, reply: reply ?? {} });
    });
  });
}

/** Makes a server-streaming call and collects its messages and final status. */
export function serverStream(client: grpc.Client, method: Method, request: Message): Promise<{ messages: Message[]; code: number }> {
  return new Promise((resolve) => {
    const messages: Message[] = [];
    const call = client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request);
    call.on("data", (m: Message) => messages.push(m));
    call.on("error", () => undefined);
    call.on("status", (s: grpc.StatusObject) => resolve({ messages, code: s.code }));
  });
}
