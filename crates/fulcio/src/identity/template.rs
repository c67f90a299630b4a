//! The subset of Go's `text/template` that Fulcio's `CIIssuerMetadata` templates use, with
//! Fulcio's options (`missingkey=error`, no HTML escaping).
//!
//! Supported: text; `{{ .key }}`; `{{ index . "key" }}` (a missing key gives `""`, as in Go);
//! string literals; `eq`/`ne` (Go's `eq a b c` means `a == b || a == c`), `not`, `and`, `or`;
//! parentheses; `{{if}}` / `{{else if}}` / `{{else}}` / `{{end}}`; `{{/* comments */}}`; the
//! `{{-` / `-}}` trim markers. Anything else is refused at parse time, so a config that
//! loads renders the same way Fulcio would or fails loudly at start-up.

use std::collections::BTreeMap;

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Print(Expr),
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    /// `.key`
    Field(String),
    /// `"literal"`
    Str(String),
    /// `index . "key"`
    Index(String),
    /// `eq`, `ne`, `not`, `and`, `or`
    Call(Func, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Func {
    Eq,
    Ne,
    Not,
    And,
    Or,
}

/// A value during evaluation: the data map holds only strings; comparisons give booleans.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Str(String),
    Bool(bool),
}

impl Val {
    fn truthy(&self) -> bool {
        match self {
            Val::Str(s) => !s.is_empty(),
            Val::Bool(b) => *b,
        }
    }
    fn render(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::Bool(b) => b.to_string(),
        }
    }
}

/// Why a template did not parse or render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Template {
    /// Parses `source`. Text without `{{` parses to itself.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let tokens = lex(source)?;
        let mut pos = 0;
        let (nodes, end) = parse_nodes(&tokens, &mut pos)?;
        if let Some(e) = end {
            return Err(TemplateError(format!("unexpected {{{{{e}}}}}")));
        }
        Ok(Self {
            source: source.to_owned(),
            nodes,
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the source contains an action (`{{`): Fulcio treats a value without one as a
    /// claim *name* rather than a template.
    pub fn is_template(&self) -> bool {
        self.source.contains("{{")
    }

    /// Renders against `data`. A `.key` not in `data` is an error (`missingkey=error`).
    pub fn render(&self, data: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let mut out = String::new();
        render_nodes(&self.nodes, data, &mut out)?;
        Ok(out)
    }
}

// ---------------------------------------------------------------- lexing

#[derive(Debug)]
enum Tok {
    Text(String),
    /// The words inside one `{{ … }}`.
    Action(Vec<Word>),
}

#[derive(Clone, Debug, PartialEq)]
enum Word {
    Ident(String),
    Field(String),
    Dot,
    Str(String),
    Open,
    Close,
}

fn lex(src: &str) -> Result<Vec<Tok>, TemplateError> {
    let mut toks = Vec::new();
    let mut rest = src;
    let mut trim_next_text = false;
    while !rest.is_empty() {
        match rest.find("{{") {
            None => {
                push_text(&mut toks, rest, trim_next_text, false);
                break;
            }
            Some(i) => {
                let after = &rest[i + 2..];
                let trim_left =
                    after.starts_with("- ") || after.starts_with("-\t") || after.starts_with("-\n");
                push_text(&mut toks, &rest[..i], trim_next_text, trim_left);
                let body_start = if trim_left { 1 } else { 0 };
                let close = after
                    .find("}}")
                    .ok_or_else(|| TemplateError("unclosed action".into()))?;
                let mut body = &after[body_start..close];
                trim_next_text = false;
                if body.ends_with(" -") || body.ends_with("\t-") || body.ends_with("\n-") {
                    body = &body[..body.len() - 1];
                    trim_next_text = true;
                }
                let body = body.trim();
                if body.starts_with("/*") {
                    if !body.ends_with("*/") {
                        return Err(TemplateError("unclosed comment".into()));
                    }
                } else {
                    toks.push(Tok::Action(rewrite_index(&lex_words(body)?)?));
                }
                rest = &after[close + 2..];
            }
        }
    }
    Ok(toks)
}

fn push_text(toks: &mut Vec<Tok>, text: &str, trim_start: bool, trim_end: bool) {
    let mut t = text;
    if trim_start {
        t = t.trim_start();
    }
    if trim_end {
        t = t.trim_end();
    }
    if !t.is_empty() {
        toks.push(Tok::Text(t.to_owned()));
    }
}

fn lex_words(body: &str) -> Result<Vec<Word>, TemplateError> {
    let mut words = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                words.push(Word::Open);
                i += 1;
            }
            ')' => {
                words.push(Word::Close);
                i += 1;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(TemplateError("unterminated string".into()));
                    };
                    i += 1;
                    match c {
                        '"' => break,
                        '\\' => {
                            let Some(&e) = chars.get(i) else {
                                return Err(TemplateError("unterminated string".into()));
                            };
                            i += 1;
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                '\\' => '\\',
                                '"' => '"',
                                other => {
                                    return Err(TemplateError(format!(
                                        "unsupported escape \\{other}"
                                    )))
                                }
                            });
                        }
                        c => s.push(c),
                    }
                }
                words.push(Word::Str(s));
            }
            '`' => {
                let start = i + 1;
                let end = chars[start..]
                    .iter()
                    .position(|&c| c == '`')
                    .ok_or_else(|| TemplateError("unterminated raw string".into()))?;
                words.push(Word::Str(chars[start..start + end].iter().collect()));
                i = start + end + 1;
            }
            '.' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                if j == start {
                    words.push(Word::Dot);
                } else {
                    if chars.get(j) == Some(&'.') {
                        return Err(TemplateError(
                            "nested field access is not supported (the data are strings)".into(),
                        ));
                    }
                    words.push(Word::Field(chars[start..j].iter().collect()));
                }
                i = j;
            }
            c if c.is_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                words.push(Word::Ident(chars[start..i].iter().collect()));
            }
            other => {
                return Err(TemplateError(format!(
                    "unsupported character {other:?} in action"
                )))
            }
        }
    }
    Ok(words)
}

// ---------------------------------------------------------------- parsing

/// Parses nodes until `{{end}}` / `{{else …}}` (returned as the terminator's words).
fn parse_nodes(
    toks: &[Tok],
    pos: &mut usize,
) -> Result<(Vec<Node>, Option<String>), TemplateError> {
    let mut nodes = Vec::new();
    while let Some(tok) = toks.get(*pos) {
        *pos += 1;
        match tok {
            Tok::Text(t) => nodes.push(Node::Text(t.clone())),
            Tok::Action(words) => match words.first() {
                Some(Word::Ident(k)) if k == "end" && words.len() == 1 => {
                    return Ok((nodes, Some("end".into())))
                }
                Some(Word::Ident(k)) if k == "else" => {
                    return Ok((nodes, Some(encode_else(&words[1..])?)));
                }
                Some(Word::Ident(k)) if k == "if" => nodes.push(parse_if(&words[1..], toks, pos)?),
                Some(Word::Ident(k))
                    if matches!(
                        k.as_str(),
                        "range" | "with" | "define" | "template" | "block"
                    ) =>
                {
                    return Err(TemplateError(format!("{{{{{k}}}}} is not supported")))
                }
                Some(_) => nodes.push(Node::Print(parse_expr(words)?)),
                None => return Err(TemplateError("empty action".into())),
            },
        }
    }
    Ok((nodes, None))
}

/// `else` terminators carry their condition as a marker string re-parsed by `parse_if`.
fn encode_else(rest: &[Word]) -> Result<String, TemplateError> {
    match rest.first() {
        None => Ok("else".into()),
        Some(Word::Ident(k)) if k == "if" => Ok("else if".into()),
        _ => Err(TemplateError("malformed else".into())),
    }
}

fn parse_if(cond: &[Word], toks: &[Tok], pos: &mut usize) -> Result<Node, TemplateError> {
    let mut branches = Vec::new();
    let mut cond_expr = parse_expr(cond)?;
    loop {
        let (body, end) = parse_nodes(toks, pos)?;
        branches.push((cond_expr, body));
        match end.as_deref() {
            Some("end") => {
                return Ok(Node::If {
                    branches,
                    otherwise: Vec::new(),
                })
            }
            Some("else") => {
                let (otherwise, end) = parse_nodes(toks, pos)?;
                if end.as_deref() != Some("end") {
                    return Err(TemplateError("missing {{end}}".into()));
                }
                return Ok(Node::If {
                    branches,
                    otherwise,
                });
            }
            Some("else if") => {
                // The terminator's words are in the token just consumed.
                let Some(Tok::Action(words)) = toks.get(*pos - 1) else {
                    return Err(TemplateError("malformed else if".into()));
                };
                cond_expr = parse_expr(&words[2..])?;
            }
            _ => return Err(TemplateError("missing {{end}}".into())),
        }
    }
}

fn parse_expr(words: &[Word]) -> Result<Expr, TemplateError> {
    let mut pos = 0;
    let e = parse_command(words, &mut pos, false)?;
    if pos != words.len() {
        return Err(TemplateError("unexpected words after expression".into()));
    }
    Ok(e)
}

/// A command: a function applied to operands, or a single operand.
fn parse_command(words: &[Word], pos: &mut usize, nested: bool) -> Result<Expr, TemplateError> {
    let first = words
        .get(*pos)
        .ok_or_else(|| TemplateError("missing value".into()))?;
    if let Word::Ident(name) = first {
        *pos += 1;
        if let Some(key) = name.strip_prefix("#index#") {
            return Ok(Expr::Index(key.to_owned()));
        }
        let mut args = Vec::new();
        while let Some(w) = words.get(*pos) {
            if *w == Word::Close {
                if nested {
                    break;
                }
                return Err(TemplateError("unbalanced )".into()));
            }
            args.push(parse_operand(words, pos)?);
        }
        return build_call(name, args);
    }
    parse_operand(words, pos)
}

fn parse_operand(words: &[Word], pos: &mut usize) -> Result<Expr, TemplateError> {
    let w = words
        .get(*pos)
        .ok_or_else(|| TemplateError("missing operand".into()))?;
    *pos += 1;
    match w {
        Word::Field(f) => Ok(Expr::Field(f.clone())),
        Word::Str(s) => Ok(Expr::Str(s.clone())),
        Word::Open => {
            let e = parse_command(words, pos, true)?;
            if words.get(*pos) != Some(&Word::Close) {
                return Err(TemplateError("missing )".into()));
            }
            *pos += 1;
            Ok(e)
        }
        Word::Dot => Err(TemplateError(
            "'.' alone is only supported as the first argument of index".into(),
        )),
        Word::Ident(name) => Err(TemplateError(format!(
            "function {name} must be parenthesized when used as an argument"
        ))),
        Word::Close => Err(TemplateError("unexpected )".into())),
    }
}

fn build_call(name: &str, args: Vec<Expr>) -> Result<Expr, TemplateError> {
    let (func, min, max) = match name {
        "eq" => (Func::Eq, 2, usize::MAX),
        "ne" => (Func::Ne, 2, 2),
        "not" => (Func::Not, 1, 1),
        "and" => (Func::And, 1, usize::MAX),
        "or" => (Func::Or, 1, usize::MAX),
        other => return Err(TemplateError(format!("function {other:?} not defined"))),
    };
    if args.len() < min || args.len() > max {
        return Err(TemplateError(format!(
            "wrong number of arguments for {name}: {}",
            args.len()
        )));
    }
    Ok(Expr::Call(func, args))
}

// ---------------------------------------------------------------- evaluation

fn render_nodes(
    nodes: &[Node],
    data: &BTreeMap<String, String>,
    out: &mut String,
) -> Result<(), TemplateError> {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Print(e) => out.push_str(&eval(e, data)?.render()),
            Node::If {
                branches,
                otherwise,
            } => {
                let mut taken = false;
                for (cond, body) in branches {
                    if eval(cond, data)?.truthy() {
                        render_nodes(body, data, out)?;
                        taken = true;
                        break;
                    }
                }
                if !taken {
                    render_nodes(otherwise, data, out)?;
                }
            }
        }
    }
    Ok(())
}

fn eval(e: &Expr, data: &BTreeMap<String, String>) -> Result<Val, TemplateError> {
    Ok(match e {
        Expr::Field(k) => Val::Str(
            data.get(k)
                .cloned()
                .ok_or_else(|| TemplateError(format!("map has no entry for key {k:?}")))?,
        ),
        Expr::Str(s) => Val::Str(s.clone()),
        Expr::Index(k) => Val::Str(data.get(k).cloned().unwrap_or_default()),
        Expr::Call(f, args) => {
            let vals = args
                .iter()
                .map(|a| eval(a, data))
                .collect::<Result<Vec<_>, _>>()?;
            match f {
                Func::Eq => Val::Bool(vals[1..].iter().any(|v| *v == vals[0])),
                Func::Ne => Val::Bool(vals[0] != vals[1]),
                Func::Not => Val::Bool(!vals[0].truthy()),
                // Go returns the deciding operand; in a condition only its truth matters, and
                // printed it is the operand itself.
                Func::And => vals
                    .iter()
                    .find(|v| !v.truthy())
                    .or(vals.last())
                    .cloned()
                    .unwrap_or(Val::Bool(true)),
                Func::Or => vals
                    .iter()
                    .find(|v| v.truthy())
                    .or(vals.last())
                    .cloned()
                    .unwrap_or(Val::Bool(false)),
            }
        }
    })
}

/// Rewrites `index . "k"` into [`Expr::Index`] before the generic parser sees it.
fn rewrite_index(words: &[Word]) -> Result<Vec<Word>, TemplateError> {
    // Marker idents cannot collide with user input: identifiers never contain '#'.
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if words[i] == Word::Ident("index".into()) {
            match (words.get(i + 1), words.get(i + 2)) {
                (Some(Word::Dot), Some(Word::Str(k))) => {
                    out.push(Word::Ident(format!("#index#{k}")));
                    i += 3;
                    continue;
                }
                _ => {
                    return Err(TemplateError(
                        "index is supported only as `index . \"key\"`".into(),
                    ))
                }
            }
        }
        out.push(words[i].clone());
        i += 1;
    }
    Ok(out)
}
