//! Where the detectors' keywords occur in a text: the prefilter every
//! file of an `--all` check goes through, so its speed is the floor of
//! that check.
//!
//! An Aho-Corasick DFA over ASCII-case-folded keywords, walked over three
//! parts of a text at once. A DFA walk is bound by the latency of one
//! table load per byte; three independent walks in one loop overlap those
//! loads. On the benchmark tree this found every keyword in half the time
//! of the `aho-corasick` crate's DFA (which walks one stream and, being
//! ASCII case-insensitive, has no SIMD prefilter to skip with); see
//! BENCHMARKS.md. The crate stays the reference the tests compare with.

use std::collections::VecDeque;

/// Texts shorter than this are walked as one stream: splitting them buys
/// nothing and the part boundaries cost their overlap.
const SPLIT_AT: usize = 1024;

/// The most keywords a scanner takes: a hit holds the index in 16 bits.
pub const MAX_KEYWORDS: usize = 1 << 16;

/// The longest keyword a scanner takes: a hit holds its length in 8 bits.
pub const MAX_KEYWORD_LEN: usize = 255;

/// One place a keyword starts, with the longest keyword that starts there.
///
/// Packed into one integer (start, then 255 less the keyword's length,
/// then the keyword) so that putting a text's hits in order is a sort of
/// plain integers: sorting pairs by a key that looked up each keyword's
/// length took a sixth of the scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit(u64);

impl Hit {
    /// `start` fits the 40 bits left: a text is in memory, far below 1 TB.
    fn new(start: usize, keyword: u32, len: usize) -> Hit {
        let rank = (MAX_KEYWORD_LEN - len.min(MAX_KEYWORD_LEN)) as u64;
        Hit((start as u64) << 24 | rank << 16 | u64::from(keyword))
    }

    /// Where the keyword starts.
    pub fn start(self) -> usize {
        (self.0 >> 24) as usize
    }

    /// Index into the keyword list the scanner was built from.
    pub fn keyword(self) -> usize {
        (self.0 & 0xffff) as usize
    }
}

/// The compiled keyword automaton.
pub struct KeywordScanner {
    /// Byte class of every byte; upper- and lower-case letters share one,
    /// bytes no keyword holds share class 0.
    classes: [u8; 256],
    /// Transitions, `state + class` -> state, with states premultiplied by
    /// the number of classes; state 0 is the start.
    trans: Vec<u32>,
    classes_len: usize,
    /// States at or above this one end at least one keyword: the walk tests
    /// one comparison per byte.
    first_output: u32,
    /// The keywords that end in each state (by state number), those the
    /// state's own path spells and those of its suffixes.
    outputs: Vec<Box<[u32]>>,
    lens: Vec<usize>,
    max_len: usize,
}

impl KeywordScanner {
    /// An automaton over `keywords`, matched ASCII case-insensitively. An
    /// empty keyword is ignored (it would start everywhere); more than
    /// [`MAX_KEYWORDS`] keywords, or one longer than [`MAX_KEYWORD_LEN`]
    /// bytes, is an error.
    pub fn new(keywords: &[String]) -> Result<KeywordScanner, String> {
        if keywords.len() > MAX_KEYWORDS {
            return Err(format!(
                "{} keywords, more than the {MAX_KEYWORDS} the prefilter takes",
                keywords.len()
            ));
        }
        if let Some(k) = keywords.iter().find(|k| k.len() > MAX_KEYWORD_LEN) {
            return Err(format!(
                "keyword {k:?} is longer than the {MAX_KEYWORD_LEN} bytes the prefilter takes"
            ));
        }
        let mut classes = [0u8; 256];
        let mut classes_len = 1usize;
        for b in keywords.iter().flat_map(|k| k.bytes()) {
            let f = b.to_ascii_lowercase() as usize;
            if classes[f] == 0 {
                classes[f] = u8::try_from(classes_len)
                    .unwrap_or_else(|_| unreachable!("at most 229 distinct case-folded bytes"));
                classes_len += 1;
            }
        }
        for b in 0..=255u8 {
            classes[b as usize] = classes[b.to_ascii_lowercase() as usize];
        }
        let trie = Trie::new(keywords, &classes, classes_len);
        let Trie { goto, outputs } = trie.into_dfa(classes_len);
        // Renumber: states that end a keyword last, the start state first.
        let n = goto.len();
        let mut order: Vec<usize> = (0..n).filter(|&s| outputs[s].is_empty()).collect();
        let first_output = order.len();
        order.extend((0..n).filter(|&s| !outputs[s].is_empty()));
        let mut renumbered = vec![0usize; n];
        for (new, &old) in order.iter().enumerate() {
            renumbered[old] = new;
        }
        let premultiplied = |s: usize| {
            u32::try_from(s * classes_len)
                .unwrap_or_else(|_| unreachable!("keyword tables are small"))
        };
        let mut trans = vec![0u32; n * classes_len];
        for (new, &old) in order.iter().enumerate() {
            for (c, &to) in goto[old].iter().enumerate() {
                trans[new * classes_len + c] = premultiplied(renumbered[to]);
            }
        }
        let outputs = order
            .iter()
            .map(|&old| outputs[old].clone().into_boxed_slice())
            .collect();
        let lens: Vec<usize> = keywords.iter().map(String::len).collect();
        Ok(KeywordScanner {
            classes,
            trans,
            classes_len,
            first_output: premultiplied(first_output),
            outputs,
            max_len: lens.iter().copied().max().unwrap_or(0),
            lens,
        })
    }

    /// Every position of `text` where a keyword starts, ascending, each
    /// once with the longest keyword starting there (the leftmost-longest
    /// search of `aho-corasick`, resumed one byte after each match).
    pub fn scan(&self, text: &[u8], hits: &mut Vec<Hit>) {
        hits.clear();
        if self.max_len == 0 {
            return;
        }
        if text.len() < SPLIT_AT {
            self.walk(0, text, &self.part(text.len(), 0, text.len()), 0, hits);
        } else {
            self.walk3(text, hits);
        }
        // Starts come out by end offset; put them in order and keep the
        // longest keyword at each (it sorts first).
        hits.sort_unstable();
        hits.dedup_by_key(|h| h.start());
    }

    /// The keywords ending at `end` in `state` that start in `part`.
    #[cold]
    #[inline(never)]
    fn emit(&self, state: u32, end: usize, part: &Part, hits: &mut Vec<Hit>) {
        for &k in self.outputs[state as usize / self.classes_len].iter() {
            let start = end - self.lens[k as usize];
            if (part.lo..part.hi).contains(&start) {
                hits.push(Hit::new(start, k, self.lens[k as usize]));
            }
        }
    }

    #[inline(always)]
    fn step(&self, state: u32, byte: u8) -> u32 {
        self.trans[state as usize + self.classes[byte as usize] as usize]
    }

    /// Reads `part` on from offset `from`, in `state`.
    fn walk(&self, mut state: u32, text: &[u8], part: &Part, from: usize, hits: &mut Vec<Hit>) {
        for (i, &b) in text[from..part.end].iter().enumerate() {
            state = self.step(state, b);
            if state >= self.first_output {
                self.emit(state, from + i + 1, part, hits);
            }
        }
    }

    /// Three streams over three thirds of `text` in one loop.
    fn walk3(&self, text: &[u8], hits: &mut Vec<Hit>) {
        let third = text.len().div_ceil(3);
        let parts = [0, 1, 2].map(|i| self.part(text.len(), i * third, (i + 1) * third));
        let together = parts.iter().map(|p| p.end - p.lo).min().unwrap_or(0);
        let [p0, p1, p2] = &parts;
        // Slices of exactly `together` bytes, walked by one zipped
        // iterator: indexing three slices kept three lengths to check and
        // spilled a state to the stack, which lengthened its chain of
        // dependent loads.
        let t0 = &text[p0.lo..p0.lo + together];
        let t1 = &text[p1.lo..p1.lo + together];
        let t2 = &text[p2.lo..p2.lo + together];
        let (mut s0, mut s1, mut s2) = (0u32, 0u32, 0u32);
        let out = self.first_output;
        for (i, ((&b0, &b1), &b2)) in t0.iter().zip(t1).zip(t2).enumerate() {
            s0 = self.step(s0, b0);
            s1 = self.step(s1, b1);
            s2 = self.step(s2, b2);
            if (s0 >= out) | (s1 >= out) | (s2 >= out) {
                for (state, part) in [(s0, p0), (s1, p1), (s2, p2)] {
                    if state >= out {
                        self.emit(state, part.lo + i + 1, part, hits);
                    }
                }
            }
        }
        for (state, part) in [(s0, p0), (s1, p1), (s2, p2)] {
            self.walk(state, text, part, part.lo + together, hits);
        }
    }

    /// The keywords starting in `lo..hi` of a text `len` long: read on past
    /// `hi` by the longest keyword less a byte, to finish the last of them.
    fn part(&self, len: usize, lo: usize, hi: usize) -> Part {
        let (lo, hi) = (lo.min(len), hi.min(len));
        Part {
            lo,
            hi,
            end: (hi + self.max_len - 1).min(len),
        }
    }
}

/// A part of a text one stream reads: from `lo` (in the start state) to
/// `end`, reporting the keywords that start before `hi`.
struct Part {
    lo: usize,
    hi: usize,
    end: usize,
}

/// The keyword trie, then the DFA made of it (by state number, start 0).
struct Trie {
    goto: Vec<Vec<usize>>,
    outputs: Vec<Vec<u32>>,
}

const NONE: usize = usize::MAX;

impl Trie {
    fn new(keywords: &[String], classes: &[u8; 256], classes_len: usize) -> Trie {
        let mut trie = Trie {
            goto: vec![vec![NONE; classes_len]],
            outputs: vec![Vec::new()],
        };
        for (k, word) in keywords.iter().enumerate() {
            if word.is_empty() {
                continue;
            }
            let mut s = 0;
            for b in word.bytes() {
                let c = classes[b as usize] as usize;
                if trie.goto[s][c] == NONE {
                    trie.goto.push(vec![NONE; classes_len]);
                    trie.outputs.push(Vec::new());
                    trie.goto[s][c] = trie.goto.len() - 1;
                }
                s = trie.goto[s][c];
            }
            trie.outputs[s].push(k as u32);
        }
        trie
    }

    /// Fills every missing transition from the failure links (breadth
    /// first, so a state's failure target is complete before it), and
    /// gives each state the outputs of its failure target too.
    fn into_dfa(mut self, classes_len: usize) -> Trie {
        let mut fail = vec![0usize; self.goto.len()];
        let mut queue = VecDeque::new();
        for c in 0..classes_len {
            match self.goto[0][c] {
                NONE => self.goto[0][c] = 0,
                t => queue.push_back(t),
            }
        }
        while let Some(s) = queue.pop_front() {
            let f = fail[s];
            let inherited = self.outputs[f].clone();
            self.outputs[s].extend(inherited);
            for c in 0..classes_len {
                match self.goto[s][c] {
                    NONE => self.goto[s][c] = self.goto[f][c],
                    t => {
                        fail[t] = self.goto[f][c];
                        queue.push_back(t);
                    }
                }
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};

    /// Keywords shaped like the detectors' own: prefixes of each other
    /// (`pw`, `pwd`, `pass`, `password`, `passwords`), one inside another
    /// (`setpassword`), blanks and punctuation, two bytes to many.
    fn keywords() -> Vec<String> {
        [
            "pw",
            "pwd",
            "pass",
            "password",
            "passwords",
            "passwds",
            "setpassword",
            "set password",
            "on >",
            "@/",
            "://",
            "env",
            "token",
            "a3t",
            "auth=(",
            "auth = (",
            "jdbc:oracle:",
            "secret_access_key",
            "convertto-securestring",
        ]
        .map(String::from)
        .to_vec()
    }

    /// What the prefilter found before: the `aho-corasick` crate's
    /// leftmost-longest search, resumed one byte after each match.
    fn reference(keywords: &[String], text: &[u8]) -> Vec<(usize, usize)> {
        let ac = AhoCorasickBuilder::new()
            .kind(Some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(keywords)
            .unwrap();
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(m) = ac.find(Input::new(text).span(at..text.len())) {
            out.push((m.start(), m.pattern().as_usize()));
            at = m.start() + 1;
        }
        out
    }

    /// Every hit as (start, keyword); the buffer's old contents go.
    fn scan(scanner: &KeywordScanner, text: &[u8]) -> Vec<(usize, usize)> {
        let mut hits = vec![Hit::new(7, 7, 1)];
        scanner.scan(text, &mut hits);
        hits.iter().map(|h| (h.start(), h.keyword())).collect()
    }

    #[test]
    fn finds_every_start_with_the_longest_keyword() {
        let k = keywords();
        let s = KeywordScanner::new(&k).unwrap();
        let text = b"x PASSWORDS=1 setPassword(pwd) user app On >s3cret; Env TOKEN";
        let found = scan(&s, text);
        assert_eq!(found, reference(&k, text));
        let words: Vec<(usize, &str)> = found
            .iter()
            .map(|&(start, keyword)| (start, k[keyword].as_str()))
            .collect();
        assert_eq!(
            words,
            [
                (2, "passwords"),
                (14, "setpassword"),
                (17, "password"),
                (26, "pwd"),
                (40, "on >"),
                (52, "env"),
                (56, "token"),
            ]
        );
        assert!(scan(&s, b"").is_empty());
        assert!(scan(&s, b"p").is_empty());
        assert_eq!(scan(&s, b"PW"), [(0, 0)]);
    }

    /// A keyword across the boundary of two thirds, at every offset, and at
    /// both ends of a text long enough to be split.
    #[test]
    fn keywords_across_the_thirds_are_found_once() {
        let k = keywords();
        let s = KeywordScanner::new(&k).unwrap();
        for len in [SPLIT_AT, SPLIT_AT + 1, SPLIT_AT + 2, 3000] {
            let third = len.div_ceil(3);
            for word in ["convertto-securestring", "pw", "passwords"] {
                let mut at: Vec<usize> = vec![0, len - word.len()];
                for b in [third, 2 * third] {
                    at.extend(b.saturating_sub(word.len() + 1)..b + 2);
                }
                for a in at {
                    let mut text = vec![b'x'; len];
                    text[a..a + word.len()].copy_from_slice(word.as_bytes());
                    let found = scan(&s, &text);
                    assert_eq!(found, reference(&k, &text), "{word} at {a} of {len}");
                    assert!(found.iter().any(|h| h.0 == a), "{word} at {a} of {len}");
                }
            }
        }
    }

    /// A hit holds a keyword's index in 16 bits and its length in 8: the
    /// scanner refuses what does not fit rather than mix keywords up, and
    /// the longest keyword it takes still wins at its start.
    #[test]
    fn keywords_that_do_not_fit_a_hit_are_refused() {
        let long = "p".repeat(MAX_KEYWORD_LEN);
        let s = KeywordScanner::new(&["p".into(), long.clone(), "pp".into()]).unwrap();
        let mut text = long.clone().into_bytes();
        text.push(b'x');
        assert_eq!(scan(&s, &text)[0], (0, 1));
        assert!(KeywordScanner::new(&[format!("{long}p")]).is_err());
        assert!(KeywordScanner::new(&vec!["k".to_string(); MAX_KEYWORDS]).is_ok());
        assert!(KeywordScanner::new(&vec!["k".to_string(); MAX_KEYWORDS + 1]).is_err());
    }

    #[test]
    fn an_empty_keyword_list_finds_nothing() {
        let s = KeywordScanner::new(&[]).unwrap();
        assert!(scan(&s, &[b'a'; 2000]).is_empty());
        let s = KeywordScanner::new(&[String::new(), "ab".into()]).unwrap();
        assert_eq!(scan(&s, b"xAb"), [(1, 1)]);
    }

    proptest::proptest! {
        /// Texts made of keywords, their pieces in any case, and other
        /// bytes, short and long enough to be split: the same places and
        /// keywords as the crate's search.
        #[test]
        fn the_same_as_aho_corasick(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "pass", "PassWord", "s", "word", "pw", "PWD", "d", "set", " ", "on", ">",
                "@", "/", ":", "//", "env", "TOKEN", "tok", "a3", "t", "auth", "=(", " = (",
                "\n", "x", "é", "jdbc:", "oracle:", "secret_", "access_key", "ss",
            ]), 0..700),
        ) {
            let k = keywords();
            let s = KeywordScanner::new(&k).unwrap();
            let text = parts.concat();
            proptest::prop_assert_eq!(scan(&s, text.as_bytes()), reference(&k, text.as_bytes()));
        }
    }
}
