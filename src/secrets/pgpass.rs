//! `.pgpass` files: every `host:port:database:user:password` line is a
//! credential. Recognised by file name, since the format has no keyword.
//! Colons and backslashes in fields are escaped with a backslash.

use super::Candidate;
use super::placeholder::is_placeholder;

/// Finds the password of every entry of a `.pgpass` file.
pub fn find(text: &str, out: &mut Vec<Candidate>) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim_start().starts_with('#') || content.trim().is_empty() {
            continue;
        }
        // Byte index where the fifth field starts.
        let mut fields = 0;
        let mut escaped = false;
        let mut pw_start = None;
        for (i, c) in content.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == ':' {
                fields += 1;
                if fields == 4 {
                    pw_start = Some(i + 1);
                    break;
                }
            }
        }
        let Some(p) = pw_start else { continue };
        let raw = &content[p..];
        let mut secret = String::new();
        let mut esc = false;
        for c in raw.chars() {
            if esc {
                secret.push(c);
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else {
                secret.push(c);
            }
        }
        if secret.is_empty() || is_placeholder(&secret, Some("password")) {
            continue;
        }
        out.push(Candidate {
            kind: "pgpass-entry",
            start: start + p,
            end: start + content.len(),
            secret,
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_escapes() {
        let t = "# comment\nlocalhost:5432:app:app:Pg9\\:x2k\n*:*:*:replicator:Rp0-kk2\n\nh:5432:d:u:\n";
        let mut out = Vec::new();
        find(t, &mut out);
        let s: Vec<_> = out.iter().map(|c| c.secret.as_str()).collect();
        assert_eq!(s, ["Pg9:x2k", "Rp0-kk2"]);
        assert_eq!(&t[out[0].start..out[0].start + 3], "Pg9");
    }
}
