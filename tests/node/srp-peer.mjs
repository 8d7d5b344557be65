// An SRP-6a peer built on fast-srp-hap 2.0.4 (SRP.params[4096]: RFC 5054 4096-bit group, g = 5,
// SHA-256), so Coffer's C# SRP can be checked against an implementation nobody on the team wrote.
//
// Protocol: one JSON object per line on stdin, one JSON answer per line on stdout. Bytes are hex.
//   {"op":"params"}                                         -> {"N","g","hash","bits"}
//   {"op":"server-start","identity","salt","verifier"[, "secret"]} -> {"B"}
//   {"op":"server-verify","A","M1"}                         -> {"ok":true,"M2","K"} | {"ok":false}
//   {"op":"client-start","identity","salt","password"[, "secret"]} -> {"A"}
//   {"op":"client-proof","B"}                               -> {"ok":true,"M1"} | {"ok":false}
//   {"op":"client-verify","M2"}                             -> {"ok":true,"K"} | {"ok":false}
// "secret" is the private exponent (b or a) to use instead of 32 random bytes. Anything
// unexpected answers {"error": message}. The server is given its verifier through the
// {username, salt, verifier} identity form, as PROTOCOL.md §3 says.
import { createInterface } from "node:readline";
import srp from "fast-srp-hap";

const { SRP, SrpClient, SrpServer } = srp;
const params = SRP.params[4096];

const hex = (buf) => Buffer.from(buf).toString("hex");
const bytes = (text, name) => {
  if (typeof text !== "string" || !/^([0-9a-fA-F]{2})*$/.test(text)) {
    throw new Error(`${name} must be a hex string`);
  }
  return Buffer.from(text, "hex");
};
const secretOf = async (request) => (request.secret ? bytes(request.secret, "secret") : await SRP.genKey(32));

let server = null;
let client = null;

async function handle(request) {
  switch (request.op) {
    case "params":
      return { N: hex(params.N.toBuffer(true)), g: hex(params.g.toBuffer(true)), hash: params.hash, bits: params.N_length_bits };

    case "server-start": {
      const identity = {
        username: request.identity,
        salt: bytes(request.salt, "salt"),
        verifier: bytes(request.verifier, "verifier"),
      };
      server = new SrpServer(params, identity, await secretOf(request));
      return { B: hex(server.computeB()) };
    }

    case "server-verify": {
      if (!server) throw new Error("no server");
      const s = server;
      server = null;
      try {
        s.setA(bytes(request.A, "A"));
        s.checkM1(bytes(request.M1, "M1"));
      } catch (e) {
        return { ok: false, reason: String(e.message) };
      }
      return { ok: true, M2: hex(s.computeM2()), K: hex(s.computeK()) };
    }

    case "client-start": {
      client = new SrpClient(
        params,
        bytes(request.salt, "salt"),
        Buffer.from(request.identity, "utf8"),
        Buffer.from(request.password, "utf8"),
        await secretOf(request),
      );
      return { A: hex(client.computeA()) };
    }

    case "client-proof": {
      if (!client) throw new Error("no client");
      try {
        client.setB(bytes(request.B, "B"));
      } catch (e) {
        client = null;
        return { ok: false, reason: String(e.message) };
      }
      return { ok: true, M1: hex(client.computeM1()) };
    }

    case "client-verify": {
      if (!client) throw new Error("no client");
      const c = client;
      client = null;
      try {
        c.checkM2(bytes(request.M2, "M2"));
      } catch (e) {
        return { ok: false, reason: String(e.message) };
      }
      return { ok: true, K: hex(c.computeK()) };
    }

    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}`);
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === "") continue;
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (e) {
    answer = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
