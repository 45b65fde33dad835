// The template engine against Go's text/template as the docker CLI 28 runs it. The ORACLE rows
// were recorded from `docker inspect -f TEMPLATE busybox` (templates that read no data, so the
// object inspected does not matter); the DATA rows exercise data access and were checked the same
// way against a container where the data allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoTemplate, TemplateExecError, TemplateParseError, type GoTypes } from './index.js';

type Want = { out: string } | { err: string };

const ORACLE: [string, Want][] = [
  ["{{printf \"%-10s|%5d|%q|%x|%X|%o|%b|%c|%U|%e|%E|%g|%.3g|%8.2f|%+d|%05d|%t|%v|%%\" \"ab\" 42 \"q\\\"x\" 255 255 8 5 65 65 1234.5 0.000012 0.5 1234567.0 3.14159 5 -42 true 1.5}}", {"out":"ab        |   42|\"q\\\"x\"|ff|FF|10|101|A|U+0041|1.234500e+03|1.200000E-05|0.5|1.23e+06|    3.14|+5|-0042|true|1.5|%"}],
  ["{{printf \"%s %d\" 3 \"x\"}}|{{printf \"%d\"}}|{{printf \"a\" 1 \"b\"}}|{{printf \"%T %T %T %T\" 1 1.5 \"s\" true}}", {"out":"%!s(int=3) %!d(string=x)|%!d(MISSING)|a%!(EXTRA int=1, string=b)|int float64 string bool"}],
  ["{{print 1 2 \"a\" 3 \"b\" \"c\" 4.5}}|{{println 1 \"x\"}}|{{print nil}}", {"out":"1 2a3bc4.5|1 x\n|<nil>"}],
  ["{{1.0}} {{1e6}} {{1234567.5}} {{0.00001}} {{123456.0}} {{-2.5e-10}} {{0x1F}} {{0o17}} {{0b101}} {{1_000}} {{'a'}}", {"out":"1 1e+06 1.2345675e+06 1e-05 123456 -2.5e-10 31 15 5 1000 97"}],
  ["{{- \"  x  \" -}}   |   {{- 3 }}  {{ 4 -}}  |", {"out":"  x  |3  4|"}],
  ["{{range $i, $v := split \"c,a,b\" \",\"}}{{if $i}}-{{end}}{{$i}}={{$v}}{{end}}", {"out":"0=c-1=a-2=b"}],
  ["{{range $i, $c := \"x\" | split \"y\"}}{{$i}}{{end}}|{{range 0}}a{{else}}empty{{end}}|{{range $i := 3}}{{$i}}{{end}}", {"out":"0|empty|012"}],
  ["{{$x := 1}}{{range split \"a,b\" \",\"}}{{$x = 2}}{{end}}{{$x}}", {"out":"2"}],
  ["{{define \"a\"}}A({{.}}){{template \"b\" .}}{{end}}{{define \"b\"}}B[{{.}}]{{end}}{{template \"a\" \"z\"}}{{block \"c\" 5}}C{{.}}{{end}}", {"out":"A(z)B[z]C5"}],
  ["{{if and 1 \"\"}}y{{else if or 0 \"q\"}}{{or 0 \"q\"}}{{end}} {{and 1 2 3}} {{or 0 \"\" nil}} {{not \"\"}}", {"out":"q 3 <no value> true"}],
  ["{{eq 1 1}} {{eq \"a\" \"b\" \"a\"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2}} {{eq 1 1.0}}", {"err":"template: :1:80: executing \"\" at <ge 1.5 2>: error calling ge: incompatible types for comparison"}],
  ["{{len \"héllo\"}} {{slice \"abcdef\" 1 3}} {{slice \"abc\" 1}} {{index \"abc\" 1}} {{html \"<a href='x'>&\"}} {{js \"<'\\\"=\\n>\"}} {{urlquery \"a b/c?d=é\"}}", {"out":"6 bc bc 98 &lt;a href=&#39;x&#39;&gt;&amp; \\u003C\\'\\\"\\u003D\\u000A\\u003E a+b%2Fc%3Fd%3D%C3%A9"}],
  ["{{json \"<&>\"}} {{json 1.5}} {{json nil}} {{upper \"aB\"}} {{lower \"AB\"}} {{title \"hello wOrld-foo bar_baz\"}} [{{pad \"x\" 2 1}}] [{{pad \"\" 2 1}}] {{truncate \"abcdef\" 3}} {{truncate \"ab\" 3}} {{join (split \"a b c\" \" \") \"+\"}}", {"out":"\"<&>\" 1.5 null AB ab Hello WOrld-Foo Bar_baz [  x ] [] abc ab a+b+c"}],
  ["{{with $x := \"v\"}}{{$x}}{{.}}{{end}} {{with \"\"}}a{{else with \"w\"}}{{.}}{{end}}", {"out":"vv w"}],
  ["{{range split \"a,b,c,d\" \",\"}}{{if eq . \"b\"}}{{continue}}{{end}}{{if eq . \"d\"}}{{break}}{{end}}{{.}}{{end}}", {"out":"ac"}],
  ["{{/* comment */}}a{{- /* trimmed */ -}} b", {"out":"ab"}],
  ["{{(printf \"%s-%s\" \"a\" \"b\") | upper}} {{\"x\" | printf \"%s|%s\" \"y\"}} {{\"a\" | eq \"a\"}}", {"out":"A-B y|x true"}],
  ["{{`raw\\t`}}|{{\"\\x41\\u00e9\\101\\a\"}}|{{print '\\n'}}", {"out":"raw\\t|AéA\u0007|10"}],
  ["{{slice \"abc\" 2 1}}", {"err":"template: :1:2: executing \"\" at <slice \"abc\" 2 1>: error calling slice: invalid slice index: 2 > 1"}],
  ["{{index \"abc\" 5}}", {"err":"template: :1:2: executing \"\" at <index \"abc\" 5>: error calling index: index out of range: 5"}],
  ["{{len 3}}", {"err":"template: :1:2: executing \"\" at <len 3>: error calling len: len of type int"}],
  ["{{nil}}", {"err":"template: :1:2: executing \"\" at <nil>: nil is not a command"}],
  ["{{template \"nope\"}}", {"err":"template: :1:11: executing \"\" at <{{template \"nope\"}}>: template \"nope\" not defined"}],
  ["{{upper 3}}", {"err":"template: :1:8: executing \"\" at <3>: expected string; found 3"}],
  ["{{join \"a\" \",\"}}", {"err":"template: :1:7: executing \"\" at <\"a\">: can't handle \"a\" for arg of type []string"}],
  ["{{pad \"x\" \"1\" 2}}", {"err":"template: :1:10: executing \"\" at <\"1\">: expected integer; found \"1\""}],
  ["{{printf 3}}", {"err":"template: :1:9: executing \"\" at <3>: expected string; found 3"}],
  ["{{eq (split \"a\" \",\") 1}}", {"err":"template: :1:2: executing \"\" at <eq (split \"a\" \",\") 1>: error calling eq: incompatible types for comparison"}],
  ["{{lt true false}}", {"err":"template: :1:2: executing \"\" at <lt true false>: error calling lt: invalid type for comparison"}],
  ["{{range $i, $v := 3}}{{end}}", {"err":"template: :1:18: executing \"\" at <3>: can't use 3 to iterate over more than one variable"}],
  ["{{call 1}}", {"err":"template: :1:2: executing \"\" at <call 1>: error calling call: non-function 1 of type int"}],
  ["{{\"x\" | not 1}}", {"err":"template: :1:8: executing \"\" at <not>: wrong number of args for not: want 1 got 2"}],
  ["{{1 2}}", {"err":"template: :1:2: executing \"\" at <1>: can't give argument to non-function 1"}],
  ["{{}", {"err":"template: :1: unexpected \"}\" in command"}],
  ["{{.Foo }", {"err":"template: :1: unexpected \"}\" in operand"}],
  ["{{if}}", {"err":"template: :1: missing value for if"}],
  ["{{end}}", {"err":"template: :1: unexpected {{end}}"}],
  ["{{else}}", {"err":"template: :1: unexpected {{else}}"}],
  ["{{range .x}}", {"err":"template: :1: unexpected EOF"}],
  ["{{break}}", {"err":"template: :1: {{break}} outside {{range}}"}],
  ["{{nofunc}}", {"err":"template: :1: function \"nofunc\" not defined"}],
  ["{{$u}}", {"err":"template: :1: undefined variable \"$u\""}],
  ["{{.A | \"x\"}}", {"err":"template: :1: non executable command in pipeline stage 2"}],
  ["{{\"unterminated}}", {"err":"template: :1: unterminated quoted string"}],
  ["{{`raw}}", {"err":"template: :1: unterminated raw quoted string"}],
  ["{{/* x }}", {"err":"template: :1: unclosed comment"}],
  ["{{(1}}", {"err":"template: :1: unclosed left paren"}],
  ["{{1)}}", {"err":"template: :1: unexpected right paren"}],
  ["{{3x}}", {"err":"template: :1: bad number syntax: \"3x\""}],
  ["{{.A.}}", {"err":"template: :1: unexpected <.> in operand"}],
  ["{{$x := 1 | 2}}", {"err":"template: :1: non executable command in pipeline stage 2"}],
  ["{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}", {"err":"template: :1: template: multiple definition of template \"a\""}],
  ["{{\"a\".x}}", {"err":"template: :1: unexpected . after term \"\\\"a\\\"\""}],
  ["{{range $a, $b, $c := .}}{{end}}", {"err":"template: :1: too many declarations in range"}],
  ["{{with $a, $b := .}}{{end}}", {"err":"template: :1: too many declarations in with"}],
  ["{{template 1}}", {"err":"template: :1: unexpected \"1\" in template clause"}],
  ["{{if 1}}a{{else}}b{{else}}c{{end}}", {"err":"template: :1: expected end; found {{else}}"}],
  ["x\n{{\n.Foo\n}\n}}", {"err":"template: :4: unexpected \"}\" in operand"}],
];

function run(tpl: string, data: unknown, opts: { types?: GoTypes; missingKey?: 'default' | 'error' } = {}): Want {
  try {
    return { out: GoTemplate.parse(tpl).execute(data, opts) };
  } catch (e) {
    if (e instanceof TemplateParseError || e instanceof TemplateExecError) return { err: e.message };
    throw e;
  }
}

test('templates that read no data give what the docker CLI (Go text/template) gives', () => {
  for (const [tpl, want] of ORACLE) assert.deepEqual(run(tpl, {}, { missingKey: 'error' }), want, tpl);
});

const DATA = {
  Name: '/web',
  Mounts: [{ Source: '/a', Destination: '/mnt/a' }, { Source: '/b', Destination: '/mnt/b' }],
  Config: { Labels: { zeta: '1', alpha: '2', 'com.x': '3' }, Cmd: ['sh', '-c', 'echo hi'], Env: null },
  State: { Pid: 42, Running: true, Health: null },
  Args: [],
};

test('data: fields, map keys, range over slices and maps (sorted keys), index, join, json', () => {
  const cases: [string, string][] = [
    ['{{.Name}} {{.State.Pid}} {{.State.Running}}', '/web 42 true'],
    ['{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}', '/a:/mnt/a /b:/mnt/b '],
    ['{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}', 'alpha=2,com.x=3,zeta=1,'],
    ['{{range .Config.Labels}}{{.}}{{end}}', '231'],
    ['{{range $i, $m := .Mounts}}{{if $i}};{{end}}{{$i}}{{$m.Source}}{{end}}', '0/a;1/b'],
    ['{{range .Args}}x{{else}}none{{end}}', 'none'],
    ['{{index .Config.Labels "com.x"}} [{{index .Config.Labels "nope"}}] {{index .Config.Cmd 2}} {{index .Mounts 1 | printf "%v"}}', '3 [<no value>] echo hi map[Destination:/mnt/b Source:/b]'],
    ['{{join .Config.Cmd ","}} {{len .Config.Cmd}} {{len .Config.Labels}} {{len .Name}}', 'sh,-c,echo hi 3 3 4'],
    ['{{json .Config.Labels}} {{json .Mounts}} {{json .Config.Env}}', '{"alpha":"2","com.x":"3","zeta":"1"} [{"Destination":"/mnt/a","Source":"/a"},{"Destination":"/mnt/b","Source":"/b"}] null'],
    ['{{.Config.Cmd}} {{.Config.Labels}}', '[sh -c echo hi] map[alpha:2 com.x:3 zeta:1]'],
    ['{{.Nope}} {{.Config.Nope.Deeper}} {{.Config.Env}}', '<no value> <no value> <no value>'],
    ['{{with .State}}{{.Pid}}{{end}} {{with .State.Health}}h{{else}}no health{{end}}', '42 no health'],
    ['{{$n := .Name}}{{range .Mounts}}{{$n}}{{$.Name}}{{end}}', '/web/web/web/web'],
    ['{{if gt .State.Pid 10}}big{{else}}small{{end}} {{if eq .Name "/web" "/db"}}named{{end}}', 'big named'],
    ['{{define "m"}}<{{.Source}}>{{end}}{{range .Mounts}}{{template "m" .}}{{end}}', '</a></b>'],
    ['{{block "t" .Name}}[{{.}}]{{end}}', '[/web]'],
    ['{{upper .Name}} {{title "a b"}} {{split .Name "e" | len}} {{slice .Config.Cmd 1 2}}', '/WEB A B 2 [-c]'],
    ['{{range $i, $e := .Config.Cmd}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 2}}{{break}}{{end}}{{$e}}{{end}}', 'sh'],
    ['{{$x := 0}}{{range .Mounts}}{{$x = .Source}}{{end}}{{$x}}', '/b'],
    ["{{- range .Mounts }}\n  {{- .Source }}\n{{- end }}", '/a/b'],
  ];
  for (const [tpl, out] of cases) assert.deepEqual(run(tpl, DATA), { out }, tpl);
});

test('data errors carry Go positions and texts', () => {
  const cases: [string, string, { types?: GoTypes; missingKey?: 'error' }?][] = [
    ['{{.Nope}}', 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"', { missingKey: 'error' }],
    ['{{.Config.Labels.zz}}', 'template: :1:9: executing "" at <.Config.Labels.zz>: map has no entry for key "zz"', { missingKey: 'error' }],
    ['{{.Name.X}}', 'template: :1:7: executing "" at <.Name.X>: can\'t evaluate field X in type interface {}'],
    ['{{.State.Health.Status}}', 'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status'],
    ['{{index .Config.Cmd 3}}', 'template: :1:2: executing "" at <index .Config.Cmd 3>: error calling index: index out of range: 3'],
    ['{{join .Name ","}}', 'template: :1:7: executing "" at <.Name>: wrong type for value; expected []string; got string'],
    ['{{range .Name}}{{end}}', 'template: :1:8: executing "" at <.Name>: range can\'t iterate over /web'],
    ['é{{.Name.X}}', 'template: :1:9: executing "" at <.Name.X>: can\'t evaluate field X in type interface {}'],
    ['x\n{{template "nope"}}', 'template: :2:11: executing "" at <{{template "nope"}}>: template "nope" not defined'],
    ['{{.Name}}', 'template: :1:2: executing "" at <.Name>: can\'t evaluate field Name in type *formatter.X', { types: { structName: () => '*formatter.X' } }],
  ];
  for (const [tpl, err, opts] of cases) assert.deepEqual(run(tpl, tpl === '{{.Name}}' ? {} : DATA, opts ?? {}), { err }, tpl);
});

test('structs: missing fields are errors, methods take arguments, struct printing', () => {
  const types: GoTypes = { structName: (o) => ('ID' in o ? 'T' : undefined) };
  const row = { ID: 'abc', Labels: { a: 'b' }, Label: Object.assign((k: string) => (k === 'a' ? 'b' : ''), { goArgs: ['string' as const] }) };
  assert.deepEqual(run('{{.ID}} {{.Label "a"}}|{{.Label "x"}}| {{.}}', row, { types }), { out: 'abc b|| {abc map[a:b]}' });
  assert.deepEqual(run('{{.Label}}', row, { types }), { err: 'template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0' });
  assert.deepEqual(run('{{.ID "x"}}', row, { types }), { err: 'template: :1:2: executing "" at <.ID>: ID has arguments but cannot be invoked as function' });
  assert.deepEqual(run('{{.Label 1}}', row, { types }), { err: 'template: :1:9: executing "" at <1>: expected string; found 1' });
});

test('parse errors name the line', () => {
  assert.deepEqual(run('a\nb\n{{if .X}}\n{{end', {}), { err: 'template: :4: unclosed action' });
  assert.deepEqual(run('{{define "x"}}{{end}}{{template "x" | }}', {}), { err: 'template: :1: unexpected "|" in template clause' });
});
