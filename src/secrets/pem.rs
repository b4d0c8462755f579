//! PEM private keys (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted): the whole
//! block is one finding, at its `BEGIN` line. The key body is the secret
//! (for the fingerprint and the preview); a block whose body is elided
//! (`...`) or too short to be a key is documentation, not a key. Keys
//! embedded in JSON or code with `\n` escapes are read too.

use std::sync::OnceLock;

use regex::Regex;

use super::Candidate;

fn begin_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----")
            .unwrap_or_else(|e| unreachable!("the PEM pattern is a constant: {e}"))
    })
}

/// The shortest body (base64 characters) that can be a private key.
const MIN_BODY: usize = 64;

/// Finds every PEM private key block in `text`.
pub fn find(text: &str, out: &mut Vec<Candidate>) {
    for m in begin_re().find_iter(text) {
        let after = &text[m.end()..];
        let end = after.find("-----END").unwrap_or(after.len().min(16 * 1024));
        let mut body = String::new();
        let mut elided = false;
        // `\n` escapes of a key held in a JSON string become newlines.
        let block = after[..end].replace("\\n", "\n").replace("\\r", "\n");
        for line in block.lines() {
            let line = line.trim().trim_matches(['"', '\'', ',', '+']).trim();
            if line.contains(':') {
                continue; // Proc-Type: / DEK-Info: headers (base64 has no colon)
            }
            if line.contains("...") || line.contains('<') || line.contains('…') {
                elided = true;
            }
            for c in line.chars() {
                if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=') {
                    body.push(c);
                } else if !c.is_whitespace() {
                    break;
                }
            }
        }
        let lower = body.to_ascii_lowercase();
        if elided
            || body.len() < MIN_BODY
            || lower.contains("xxxxxxxx")
            || lower.contains("example")
        {
            continue;
        }
        out.push(Candidate {
            kind: "private-key",
            start: m.start(),
            end: m.end(),
            secret: body,
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> String {
        // A made-up key body, assembled at run time.
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun".repeat(3)
    }

    fn count(text: &str) -> usize {
        let mut out = Vec::new();
        find(text, &mut out);
        out.len()
    }

    #[test]
    fn real_blocks_in_files_and_strings() {
        for label in ["RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED ", "DSA "] {
            let t = format!(
                "-----BEGIN {label}PRIVATE KEY-----\n{}\n{}\n-----END {label}PRIVATE KEY-----\n",
                &body()[..64],
                &body()[64..]
            );
            assert_eq!(count(&t), 1, "{label}");
        }
        let json = format!(
            "{{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"}}",
            body()
        );
        assert_eq!(count(&json), 1);
        let mut out = Vec::new();
        find(&json, &mut out);
        assert_eq!(&json[out[0].start..out[0].start + 5], "-----");
    }

    #[test]
    fn elided_and_public_blocks_are_not_keys() {
        assert_eq!(
            count(
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----"
            ),
            0
        );
        assert_eq!(
            count("-----BEGIN PRIVATE KEY-----\n<your key>\n-----END PRIVATE KEY-----"),
            0
        );
        assert_eq!(
            count("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"),
            0
        );
        assert_eq!(
            count("if line.startswith('-----BEGIN PRIVATE KEY-----'):"),
            0
        );
    }
}
