//! Where a Python module's top-level statements start, found by a cheap
//! lexical scan (strings of every kind, f-string fields, brackets,
//! backslash continuations, comments), without a parse: `chunked.rs`
//! parses and judges only the statements that changed.
//!
//! The scan is conservative: wherever it cannot be sure where a statement
//! ends (a string or bracket still open at the end, a form feed, a lone
//! carriage return, a newline inside a one-line string), it answers
//! `None` and the caller parses the whole module.

use std::ops::Range;

/// A run of top-level statements: a function or class with its
/// decorators, or the other statements between two of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Chunk {
    /// Bytes of the source, from the start of the statement's first line
    /// to the start of the next chunk (comments and blank lines after a
    /// statement belong to it).
    pub(super) range: Range<usize>,
    /// The 0-based row the chunk starts on.
    pub(super) row: usize,
    /// A `def`, `async def` or `class` with its decorators.
    pub(super) definition: bool,
    /// The columns of spaces its statements start at: 0 at the top level,
    /// the class body's for a class's members.
    pub(super) indent: usize,
    /// A class's body split the same way, header first (empty for
    /// anything else, or a class whose body the scan cannot split).
    pub(super) members: Vec<Chunk>,
}

/// What the scan is inside of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Code, with the brackets open in it.
    Code(u32),
    /// A string literal.
    Str {
        quote: u8,
        triple: bool,
        fstring: bool,
    },
    /// An f-string's replacement field, with the brackets open in it.
    Field(u32),
    /// An f-string field's format spec (after `:`).
    Spec,
}

/// The top-level statements of `src` grouped into chunks, in order,
/// covering the whole text; `None` when the scan is unsure.
pub(super) fn split(src: &str) -> Option<Vec<Chunk>> {
    let b = src.as_bytes();
    let mut stack: Vec<Ctx> = vec![Ctx::Code(0)];
    // Start byte and row of each top-level statement.
    let mut starts: Vec<(usize, usize)> = Vec::new();
    // Start, row and indentation (in spaces) of the indented statements
    // (`None`: indented with tabs).
    let mut inner: Vec<(usize, usize, Option<usize>)> = Vec::new();
    let mut row = 0usize;
    let mut line_start = true;
    let mut continued = false;
    let mut i = 0usize;
    while i < b.len() {
        let c = b[i];
        if c == 0x0c || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            return None;
        }
        let top = *stack.last()?;
        if line_start {
            line_start = false;
            if top == Ctx::Code(0) && stack.len() == 1 && !continued {
                let ws = b[i..]
                    .iter()
                    .take_while(|c| **c == b' ' || **c == b'\t')
                    .count();
                if ws == 0 && starts_statement(&b[i..]) {
                    starts.push((i, row));
                } else if ws > 0 && starts_statement(&b[i + ws..]) {
                    let spaces = b[i..i + ws].iter().all(|c| *c == b' ');
                    inner.push((i, row, spaces.then_some(ws)));
                }
            }
            continued = false;
        }
        match top {
            Ctx::Code(depth) | Ctx::Field(depth) => {
                let field = matches!(top, Ctx::Field(_));
                match c {
                    b'\n' => {
                        if field {
                            // Only a triple-quoted f-string's field may
                            // span lines; keep it simple and give up.
                            return None;
                        }
                        row += 1;
                        line_start = true;
                        continued = false;
                        i += 1;
                        continue;
                    }
                    b'\\' => {
                        if b.get(i + 1) == Some(&b'\n') {
                            continued = true;
                            row += 1;
                            line_start = true;
                            i += 2;
                            continue;
                        }
                        if b.get(i + 1..i + 3) == Some(b"\r\n") {
                            continued = true;
                            row += 1;
                            line_start = true;
                            i += 3;
                            continue;
                        }
                        i += 1;
                    }
                    b'#' => {
                        if field {
                            return None;
                        }
                        i += memchr::memchr(b'\n', &b[i..]).unwrap_or(b.len() - i);
                    }
                    b'(' | b'[' | b'{' => {
                        set_depth(&mut stack, depth + 1);
                        i += 1;
                    }
                    b')' | b']' => {
                        set_depth(&mut stack, depth.checked_sub(1)?);
                        i += 1;
                    }
                    b'}' => {
                        if field && depth == 0 {
                            stack.pop();
                        } else {
                            set_depth(&mut stack, depth.checked_sub(1)?);
                        }
                        i += 1;
                    }
                    b':' if field && depth == 0 && b.get(i + 1) != Some(&b'=') => {
                        *stack.last_mut()? = Ctx::Spec;
                        i += 1;
                    }
                    b'"' | b'\'' => {
                        i = open_string(b, i, 0, &mut stack);
                    }
                    _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                        let end = i + b[i..]
                            .iter()
                            .take_while(|x| x.is_ascii_alphanumeric() || **x == b'_' || **x >= 0x80)
                            .count();
                        if matches!(b.get(end), Some(b'"' | b'\'')) {
                            let prefix = &b[i..end];
                            if prefix.len() > 2 || !prefix.iter().all(|p| b"rRbBuUfFtT".contains(p))
                            {
                                // `x"..."`: not Python; let the parser judge.
                                return None;
                            }
                            let fstring = prefix.iter().any(|p| b"fFtT".contains(p));
                            i = open_string(b, end, u8::from(fstring), &mut stack);
                        } else {
                            i = end;
                        }
                    }
                    _ => i += 1,
                }
            }
            Ctx::Str {
                quote,
                triple,
                fstring,
            } => match c {
                b'\\' => {
                    // An escape (also in raw strings, where `\"` keeps the
                    // quote in the string), or a line continuation.
                    if b.get(i + 1) == Some(&b'\n') {
                        row += 1;
                    } else if b.get(i + 1..i + 3) == Some(b"\r\n") {
                        row += 1;
                        i += 1;
                    }
                    i += 2;
                }
                b'\n' => {
                    if !triple {
                        return None;
                    }
                    row += 1;
                    i += 1;
                }
                b'{' if fstring => {
                    if b.get(i + 1) == Some(&b'{') {
                        i += 2;
                    } else {
                        stack.push(Ctx::Field(0));
                        i += 1;
                    }
                }
                _ if c == quote => {
                    if !triple {
                        stack.pop();
                        i += 1;
                    } else if b.get(i..i + 3) == Some(&[quote; 3][..]) {
                        stack.pop();
                        i += 3;
                    } else {
                        i += 1;
                    }
                }
                _ => i += 1,
            },
            Ctx::Spec => match c {
                b'{' => {
                    stack.push(Ctx::Field(0));
                    i += 1;
                }
                b'}' => {
                    stack.pop();
                    i += 1;
                }
                b'\n' | b'\\' | b'"' | b'\'' => return None,
                _ => i += 1,
            },
        }
    }
    if stack != [Ctx::Code(0)] || continued {
        return None;
    }
    let mut chunks = group(b, &starts, 0..b.len(), 0);
    for c in &mut chunks {
        c.members = members(b, c, &inner);
    }
    Some(chunks)
}

/// A top-level class's body split into its members (methods with their
/// decorators, and the other statements between them), header first;
/// empty when the chunk is no class or its body's indentation is unsure.
fn members(b: &[u8], c: &Chunk, inner: &[(usize, usize, Option<usize>)]) -> Vec<Chunk> {
    if !c.definition {
        return Vec::new();
    }
    let at = inner.partition_point(|s| s.0 < c.range.start);
    let to = inner.partition_point(|s| s.0 < c.range.end);
    let lines = &inner[at..to];
    let Some(&(_, _, Some(indent))) = lines.first() else {
        return Vec::new();
    };
    // The class line: the chunk's first line that is no decorator.
    let head = c.range.start
        + b[c.range.clone()]
            .split_inclusive(|x| *x == b'\n')
            .take_while(|l| {
                l.first() == Some(&b'@')
                    || l.first() == Some(&b'#')
                    || l.first() == Some(&b'\n')
                    || l.first().is_some_and(|x| *x == b' ' || *x == b'\t')
            })
            .map(<[u8]>::len)
            .sum::<usize>();
    if !keyword_at(&b[head..], "class") || lines.iter().any(|l| l.2.is_none_or(|n| n < indent)) {
        return Vec::new();
    }
    let starts: Vec<(usize, usize)> = lines
        .iter()
        .filter(|l| l.2 == Some(indent))
        .map(|l| (l.0, l.1))
        .collect();
    let mut out = group(b, &starts, c.range.clone(), indent);
    if out.first().is_none_or(|m| m.definition) {
        return Vec::new();
    }
    if let Some(first) = out.first_mut() {
        first.row = c.row;
    }
    out
}

/// Sets the bracket depth of the innermost code context.
fn set_depth(stack: &mut [Ctx], depth: u32) {
    if let Some(top) = stack.last_mut() {
        *top = match *top {
            Ctx::Field(_) => Ctx::Field(depth),
            _ => Ctx::Code(depth),
        };
    }
}

/// Pushes the string whose quote is at `at` (an f-string when `fstring`
/// is 1) and returns where its text starts.
fn open_string(b: &[u8], at: usize, fstring: u8, stack: &mut Vec<Ctx>) -> usize {
    let quote = b[at];
    let triple = b.get(at..at + 3) == Some(&[quote; 3][..]);
    stack.push(Ctx::Str {
        quote,
        triple,
        fstring: fstring == 1,
    });
    at + if triple { 3 } else { 1 }
}

/// Whether a line at column 0 (outside strings and brackets) starts a
/// new top-level statement: not blank, not a comment, not the `else`,
/// `elif`, `except` or `finally` clause of the statement before.
fn starts_statement(line: &[u8]) -> bool {
    match line.first() {
        None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'#') => false,
        Some(_) => !["else", "elif", "except", "finally"]
            .iter()
            .any(|k| keyword_at(line, k)),
    }
}

/// Whether `line` starts with the keyword `k` (not a longer name).
fn keyword_at(line: &[u8], k: &str) -> bool {
    line.starts_with(k.as_bytes())
        && !line
            .get(k.len())
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c >= 0x80)
}

/// The statements grouped: decorators with the definition they decorate,
/// each definition alone, and the other statements between them together.
fn group(b: &[u8], starts: &[(usize, usize)], span: Range<usize>, indent: usize) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    // Text before the first statement (comments, blank lines; a class's
    // header) is a chunk of its own kind: other statements.
    if starts.first().is_none_or(|(s, _)| *s > span.start) {
        out.push(Chunk {
            range: span.start..span.start,
            row: 0,
            definition: false,
            indent,
            members: Vec::new(),
        });
    }
    let mut decorated = false;
    for (k, &(start, row)) in starts.iter().enumerate() {
        let line = &b[start + indent..];
        let definition = keyword_at(line, "def") || keyword_at(line, "class") || is_async_def(line);
        let decorator = line.first() == Some(&b'@');
        let joins =
            decorated || (!definition && !decorator && out.last().is_some_and(|c| !c.definition));
        if joins && let Some(last) = out.last_mut() {
            last.definition |= definition;
        } else {
            out.push(Chunk {
                range: start..start,
                row,
                definition: definition || decorator,
                indent,
                members: Vec::new(),
            });
        }
        decorated = decorator;
        let end = starts.get(k + 1).map_or(span.end, |(s, _)| *s);
        if let Some(last) = out.last_mut() {
            last.range.end = end;
        }
    }
    if let Some(first) = out.first_mut()
        && starts.is_empty()
    {
        first.range.end = span.end;
    }
    // Text before the first statement joined the first chunk's start.
    if out.len() > 1 && out[0].range.is_empty() {
        out.remove(0);
        out[0].range.start = span.start;
        out[0].row = 0;
    }
    out
}

/// `async def` at the start of a line.
fn is_async_def(line: &[u8]) -> bool {
    keyword_at(line, "async") && {
        let rest = &line[5..];
        let n = rest
            .iter()
            .take_while(|c| **c == b' ' || **c == b'\t')
            .count();
        n > 0 && keyword_at(&rest[n..], "def")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(src: &str) -> Option<Vec<(String, usize, bool)>> {
        split(src).map(|cs| {
            cs.into_iter()
                .map(|c| (src[c.range].to_string(), c.row, c.definition))
                .collect()
        })
    }

    #[test]
    fn definitions_with_their_decorators_and_the_rest_between() {
        let src = "import os\nX = 1\n\n@app.route('/')\n@login\ndef f():\n    return 1\n\n# note\nclass A:\n    x = '''\ndef g():\n'''\nasync  def h(): pass\nif x:\n    y = 1\nelse:\n    y = 2\n";
        let got = shape(src).unwrap();
        assert_eq!(
            got,
            vec![
                ("import os\nX = 1\n\n".to_string(), 0, false),
                (
                    "@app.route('/')\n@login\ndef f():\n    return 1\n\n# note\n".to_string(),
                    3,
                    true
                ),
                (
                    "class A:\n    x = '''\ndef g():\n'''\n".to_string(),
                    9,
                    true
                ),
                ("async  def h(): pass\n".to_string(), 13, true),
                (
                    "if x:\n    y = 1\nelse:\n    y = 2\n".to_string(),
                    14,
                    false
                ),
            ]
        );
    }

    #[test]
    fn brackets_continuations_and_f_string_fields_hide_line_starts() {
        let src = "x = (\n1)\ny = 1 + \\\n2\ndef f():\n    s = f\"{a['}']:>{w}}\" f'{{'\n    return s\nz = f\"\"\"\n{b}\n\"\"\"\n";
        let got = shape(src).unwrap();
        let starts: Vec<usize> = got.iter().map(|c| c.1).collect();
        assert_eq!(starts, vec![0, 4, 7]);
        assert_eq!(got.iter().map(|c| c.0.as_str()).collect::<String>(), src);
    }

    #[test]
    fn a_class_body_splits_into_its_members() {
        let src = "@dataclass\nclass A(B):\n    '''doc'''\n    x = 1\n\n    @property\n    def f(self):\n        if y:\n            pass\n        return 1\n    # c\n    async def g(self): pass\n    class C:\n        z = 2\n    y = 2\nz = 3\n";
        let top = split(src).unwrap();
        let shape: Vec<(&str, usize, bool, usize)> = top[0]
            .members
            .iter()
            .map(|m| (&src[m.range.clone()], m.row, m.definition, m.indent))
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    "@dataclass\nclass A(B):\n    '''doc'''\n    x = 1\n\n",
                    0,
                    false,
                    4
                ),
                (
                    "    @property\n    def f(self):\n        if y:\n            pass\n        return 1\n    # c\n",
                    5,
                    true,
                    4
                ),
                ("    async def g(self): pass\n", 11, true, 4),
                ("    class C:\n        z = 2\n", 12, true, 4),
                ("    y = 2\n", 14, false, 4),
            ]
        );
        assert!(top[1].members.is_empty());
        // A body indented with a tab, or less deep than its first line:
        // kept whole.
        for src in [
            "class A:\n\tdef f(self): pass\n",
            "class A:\n        x = 1\n    def f(self): pass\n",
            "def f():\n    x = 1\n",
        ] {
            assert!(split(src).unwrap()[0].members.is_empty(), "{src:?}");
        }
    }

    #[test]
    fn unsure_text_answers_none() {
        for src in [
            "x = (\n",
            "x = 'abc\ny = 1\n",
            "x = \"\"\"\n",
            "x = 1\r\ny = 2\rz = 3\n",
            "\x0cx = 1\n",
            "x = f'{a\n}'\n",
            "x = 1 \\\n",
            "x = )\n",
            "s = xy'a'\n",
        ] {
            assert_eq!(split(src), None, "{src:?}");
        }
    }

    #[test]
    fn leading_comments_and_empty_text() {
        assert_eq!(shape("").unwrap(), vec![(String::new(), 0, false)]);
        assert_eq!(
            shape("# c\n\ndef f(): pass\n").unwrap(),
            vec![("# c\n\ndef f(): pass\n".to_string(), 0, true)]
        );
        assert_eq!(
            shape("# only\n").unwrap(),
            vec![("# only\n".to_string(), 0, false)]
        );
    }
}
