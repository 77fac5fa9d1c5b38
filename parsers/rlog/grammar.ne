# RLOG 3.2 record lines: the one definition of the format's syntax (../shared/spec/rlog-3.2.md).
#
#   record = timestamp SP [ mode SP ] kind [ SP body ]
#
# The lexer (lexer.ts) drops the spaces between tokens, as the format says any number of them
# separates two tokens; free text is taken from the line as a span, spacing and all.
# Lines are split, NUL-prefixed, CR-stripped and classified (continuation, empty) before they get
# here; this grammar parses one record line. Values the grammar cannot judge by shape alone
# (calendar validity of a timestamp, its zone) are checked by the normalizer.
# Regenerate grammar.gen.ts with `npm run grammar` (a test fails when it is stale).

@preprocessor typescript

@{%
import { nearleyLexer } from './lexer.js';
import * as b from './ast.js';
const lexer = nearleyLexer;
const kindWord = b.kindWord;
const otherSessionWord = b.otherSessionWord;
const otherSnapshotWord = b.otherSnapshotWord;
const code = b.code;
const snapshotRef = b.snapshotRef;
const duration = b.duration;
const any = b.anyToken;
const checkStatus = b.checkStatus;
const restoreStatus = b.restoreStatus;
const mountStatus = b.mountStatus;
%}

@lexer lexer

line        -> timestamp record
                 {% (d) => ({ timestamp: d[0], fallback: false, record: d[1] }) %}
             | timestamp %mode record
                 {% (d) => ({ timestamp: d[0], fallback: true, record: d[2] }) %}

timestamp   -> %tsA {% (d) => b.timestamp(d[0]) %}
             | %tsB {% (d) => b.timestamp(d[0]) %}

record      -> %kwSession "START" kvList
                 {% (d, _l, reject) => b.sessionStart(d[2]) ?? reject %}
             | %kwSession "END" kvList
                 {% (d, _l, reject) => b.sessionEnd(d[2]) ?? reject %}
             | %kwSession %otherSessionWord text
                 {% (d) => ({ kind: 'other', words: ['SESSION', d[1].value], text: d[2] }) %}
             | %kwSnapshot "MOUNT" %snapshotRef image mountStatus detail
                 {% (d) => ({ kind: 'snapshot.mount', snapshot: d[2].value, image: d[3], status: d[4], detail: d[5] }) %}
             | %kwSnapshot %otherSnapshotWord text
                 {% (d) => ({ kind: 'other', words: ['SNAPSHOT', d[1].value], text: d[2] }) %}
             | %kwCheck path checkStatus detail
                 {% (d) => ({ kind: 'check', path: d[1], status: d[2], detail: d[3] }) %}
             | %kwCheck path %ellipsis checkStatus detail
                 {% (d) => ({ kind: 'check', path: d[1], status: d[3], detail: d[4] }) %}
             | %kwRestore path %arrow %snapshotRef restoreStatus detail
                 {% (d) => ({ kind: 'restore', path: d[1], snapshot: d[3].value, status: d[4], detail: d[5] }) %}
             | %kwError %code text
                 {% (d) => ({ kind: 'error', code: d[1].value, text: d[2] }) %}
             | %kwWarn %code text
                 {% (d) => ({ kind: 'warn', code: d[1].value, text: d[2] }) %}
             | %kwSummary kvList
                 {% (d) => ({ kind: 'summary', kv: d[1] }) %}
             | %kwReboot
                 {% () => ({ kind: 'reboot', delay: null }) %}
             | %kwReboot "in" %duration
                 {% (d) => ({ kind: 'reboot', delay: d[2].value }) %}
             | %kindWord text
                 {% (d) => ({ kind: 'other', words: [d[0].value], text: d[1] }) %}

path        -> %path    {% (d, _l, reject) => b.path(d[0]) ?? reject %}
             | %qstring {% (d, _l, reject) => b.path(d[0]) ?? reject %}

checkStatus   -> %checkStatus   {% (d) => d[0].value.toLowerCase() %}
restoreStatus -> %restoreStatus {% (d) => d[0].value.toLowerCase() %}
mountStatus   -> %mountStatus   {% (d) => d[0].value.toLowerCase() %}

image       -> %kv  {% (d, _l, reject) => b.image(d[0]) ?? reject %}
             | null {% () => null %}

detail      -> null {% () => null %}
             | %lparen %rparen {% () => ({ kv: [] }) %}
             | %lparen detailItems %rparen {% (d, _l, reject) => b.detail(d[1]) ?? reject %}
detailItems -> detailItem             {% (d) => [d[0]] %}
             | detailItems detailItem {% (d) => { d[0].push(d[1]); return d[0]; } %}
detailItem  -> %kv {% id %} | %qstring {% id %}

kvList      -> null         {% () => [] %}
             | kvList %kv   {% (d) => { d[0].push(b.kv(d[1])); return d[0]; } %}

# Free text keeps its spacing: it is the span of the line from its first token to its last.
text        -> null          {% () => null %}
             | textTokens    {% (d) => b.span(d[0]) %}
textTokens  -> %any              {% (d) => [d[0], d[0]] %}
             | textTokens %any   {% (d) => [d[0][0], d[1]] %}
