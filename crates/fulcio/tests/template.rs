//! The Go text/template subset of ci-provider templates, rendered as Go would.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use sigstack_fulcio::identity::template::Template;

fn data() -> BTreeMap<String, String> {
    [
        ("url", "https://github.com"),
        ("ref_type", "branch"),
        ("ref", "main"),
        ("empty", ""),
        ("oidc.circleci.com/ssh-rerun", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn render(src: &str) -> String {
    Template::parse(src).unwrap().render(&data()).unwrap()
}

#[test]
fn renders_like_go() {
    assert_eq!(render("plain text"), "plain text");
    assert_eq!(render("{{ .url }}/{{.ref}}"), "https://github.com/main");
    assert_eq!(
        render("{{if eq .ref_type \"branch\"}}heads/{{ else }}tags/{{end}}"),
        "heads/"
    );
    assert_eq!(
        render("{{if eq .ref_type \"tag\"}}heads/{{ else }}tags/{{end}}"),
        "tags/"
    );
    assert_eq!(
        render("{{if eq .ref_type \"tag\" \"branch\"}}y{{end}}"),
        "y",
        "eq with several"
    );
    assert_eq!(
        render("{{if ne .ref \"main\"}}a{{else if eq .ref \"main\"}}b{{else}}c{{end}}"),
        "b"
    );
    assert_eq!(render("{{if .empty}}a{{else}}b{{end}}"), "b");
    assert_eq!(render("{{if not .empty}}a{{end}}"), "a");
    assert_eq!(render("{{if and .url .empty}}a{{else}}b{{end}}"), "b");
    assert_eq!(render("{{if or .empty .url}}a{{end}}"), "a");
    assert_eq!(
        render("{{ index . \"oidc.circleci.com/ssh-rerun\" }}"),
        "true"
    );
    assert_eq!(render("{{ index . \"absent\" }}"), "");
    assert_eq!(render("{{if eq (index . \"oidc.circleci.com/ssh-rerun\") \"true\"}}ssh-rerun{{ else }}\"\"{{end}}"), "ssh-rerun");
    assert_eq!(render("a {{- .ref -}} b"), "amainb");
    assert_eq!(render("x{{/* comment */}}y"), "xy");
    assert_eq!(render("{{ `raw` }}-{{ \"q\\\"\" }}"), "raw-q\"");
    assert_eq!(render("{{ eq .ref \"main\" }}"), "true");
    // No HTML escaping (Fulcio >= 1.7.1).
    let mut d = data();
    d.insert("x".into(), "<a&b>".into());
    assert_eq!(
        Template::parse("{{.x}}").unwrap().render(&d).unwrap(),
        "<a&b>"
    );
}

#[test]
fn missing_keys_and_unsupported_syntax() {
    let e = Template::parse("{{ .nope }}")
        .unwrap()
        .render(&data())
        .unwrap_err();
    assert!(e.0.contains("nope"), "{e}");
    for bad in [
        "{{ .url ",
        "{{ end }}",
        "{{ else }}",
        "{{ if .a }}x",
        "{{ range . }}{{ end }}",
        "{{ .a | printf }}",
        "{{ printf \"%s\" .a }}",
        "{{ index .a \"k\" }}",
        "{{ .a.b }}",
        "{{ . }}",
        "{{ eq .a }}",
        "{{ ne .a .b .c }}",
        "{{ (eq .a .b }}",
        "{{ \"unterminated }}",
        "{{}}",
        "{{ $x := 1 }}",
    ] {
        assert!(Template::parse(bad).is_err(), "{bad:?} must not parse");
    }
}
