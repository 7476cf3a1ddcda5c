import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its private key, PEM. */
export interface Certificate {
  readonly cert: string;
  readonly key: string;
}

/**
 * A throwaway self-signed certificate (P-256, one day) for `names`, made by the openssl command
 * (Node has no API to issue one). For servers that only need to complete a handshake: test
 * upstreams and the lab's pods; the SNI proxy itself never holds a key.
 */
export function selfSignedCertificate(names: readonly string[]): Certificate {
  const dir = mkdtempSync(join(tmpdir(), "membrane-cert-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    const san = names.map((n) => `DNS:${n}`).join(",");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        `/CN=${names[0] ?? "membrane"}`,
        ...(san === "" ? [] : ["-addext", `subjectAltName=${san}`]),
      ],
      { stdio: "ignore" },
    );
    return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
