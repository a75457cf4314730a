//! Splits SQL text into tokens for the parser.
//!
//! Every token keeps the byte range it came from, so the parser can name the offending token
//! and its line and column in an error, and can slice the original text (a select item's
//! default column name is the text the user typed). Comments (`-- …`, `# …`, `/* … */`,
//! including MySQL's `/*! … */` hints) and whitespace never reach the parser. Keywords are
//! not distinguished here: a word is an [`Tok::Word`] and the parser compares it
//! case-insensitively, so a backquoted `` `select` `` stays an identifier.

use std::fmt;

/// One token of SQL text.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare word: a keyword or an unquoted identifier, as written.
    Word(String),
    /// A backquoted identifier, without its quotes.
    QuotedIdent(String),
    /// A string literal in single or double quotes (StarRocks accepts both), unescaped.
    Str(String),
    /// A numeric literal as written: digits, an optional fraction and exponent.
    Number(String),
    /// `@@`, which starts a system variable.
    AtAt,
    /// Punctuation and operators: `( ) , ; . = * < > <= >= != <> + -`.
    Symbol(&'static str),
    /// The end of the text.
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) => write!(f, "{w}"),
            Tok::QuotedIdent(w) => write!(f, "`{w}`"),
            Tok::Str(s) => write!(f, "'{s}'"),
            Tok::Number(n) => write!(f, "{n}"),
            Tok::AtAt => write!(f, "@@"),
            Tok::Symbol(s) => write!(f, "{s}"),
            Tok::Eof => write!(f, "<EOF>"),
        }
    }
}

/// A token and the byte range of the SQL text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// A lexical error: what went wrong and at which byte offset.
#[derive(Debug, Clone, PartialEq)]
pub struct LexError {
    pub message: String,
    pub offset: usize,
}

const SYMBOLS: [&str; 15] = [
    "<=", ">=", "!=", "<>", "(", ")", ",", ";", ".", "=", "*", "<", ">", "+", "-",
];

/// Tokenizes `sql`; the last token is always [`Tok::Eof`].
pub fn tokenize(sql: &str) -> Result<Vec<Token>, LexError> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' || (c == b'-' && bytes.get(i + 1) == Some(&b'-')) {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            match sql[i + 2..].find("*/") {
                Some(end) => i = i + 2 + end + 2,
                None => return Err(lex_error("unterminated comment", start)),
            }
            continue;
        }
        let tok = if c == b'`' {
            let (text, next) = quoted(sql, i, b'`')?;
            i = next;
            Tok::QuotedIdent(text)
        } else if c == b'\'' || c == b'"' {
            let (text, next) = quoted(sql, i, c)?;
            i = next;
            Tok::Str(text)
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i = number_end(bytes, i);
            Tok::Number(sql[start..i].to_string())
        } else if c == b'@' && bytes.get(i + 1) == Some(&b'@') {
            i += 2;
            Tok::AtAt
        } else if is_word_byte(c) {
            while i < bytes.len() && is_word_byte(bytes[i]) {
                i += 1;
            }
            Tok::Word(sql[start..i].to_string())
        } else if let Some(sym) = SYMBOLS.iter().find(|s| sql[i..].starts_with(**s)) {
            i += sym.len();
            Tok::Symbol(sym)
        } else {
            let ch = sql[i..].chars().next().unwrap_or('?');
            return Err(lex_error(&format!("unexpected character '{ch}'"), start));
        };
        tokens.push(Token { tok, start, end: i });
    }
    tokens.push(Token {
        tok: Tok::Eof,
        start: sql.len(),
        end: sql.len(),
    });
    Ok(tokens)
}

/// The 1-based line and column of a byte offset, for error messages.
pub fn line_col(sql: &str, offset: usize) -> (usize, usize) {
    let before = &sql[..offset.min(sql.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn lex_error(message: &str, offset: usize) -> LexError {
    LexError {
        message: message.to_string(),
        offset,
    }
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Reads a quoted run starting at the opening quote `sql[start]`; a doubled quote or a
/// backslash escape (inside string literals) stands for the quote itself.
fn quoted(sql: &str, start: usize, quote: u8) -> Result<(String, usize), LexError> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < bytes.len() {
        let c = bytes[i];
        if c == quote {
            if bytes.get(i + 1) == Some(&quote) {
                out.push(quote);
                i += 2;
                continue;
            }
            let text = String::from_utf8(out)
                .map_err(|_| lex_error("invalid UTF-8 in quoted text", start))?;
            return Ok((text, i + 1));
        }
        if c == b'\\' && quote != b'`' && i + 1 < bytes.len() {
            out.push(match bytes[i + 1] {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'0' => 0,
                other => other,
            });
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    let what = if quote == b'`' {
        "unterminated quoted identifier"
    } else {
        "unterminated string literal"
    };
    Err(lex_error(what, start))
}

fn number_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            i = j;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(sql: &str) -> Vec<Tok> {
        tokenize(sql).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn reads_words_quoted_identifiers_strings_and_numbers() {
        assert_eq!(
            toks("SELECT `id`, \"a\"\"b\" , 'it\\'s' FROM t WHERE x >= 1.5e3;"),
            vec![
                Tok::Word("SELECT".into()),
                Tok::QuotedIdent("id".into()),
                Tok::Symbol(","),
                Tok::Str("a\"b".into()),
                Tok::Symbol(","),
                Tok::Str("it's".into()),
                Tok::Word("FROM".into()),
                Tok::Word("t".into()),
                Tok::Word("WHERE".into()),
                Tok::Word("x".into()),
                Tok::Symbol(">="),
                Tok::Number("1.5e3".into()),
                Tok::Symbol(";"),
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn skips_all_three_comment_styles() {
        assert_eq!(
            toks("/* mysql-connector-java */ select -- trailing\n 1 # hash\n"),
            vec![
                Tok::Word("select".into()),
                Tok::Number("1".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn reports_unterminated_strings_at_their_opening_quote() {
        let err = tokenize("select 'abc").unwrap_err();
        assert_eq!(err.offset, 7);
        assert!(err.message.contains("unterminated string"));
    }

    #[test]
    fn computes_line_and_column_of_an_offset() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
