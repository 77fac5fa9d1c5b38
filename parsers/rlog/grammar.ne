# RLOG 3.2 record lines: the one definition of the format's syntax (../shared/spec/rlog-3.2.md).
#
#   record = timestamp SP [ mode SP ] kind [ SP body ]
#
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
const notWs = b.notWs;
%}

@lexer lexer

line        -> timestamp mode __ record trailing
                 {% (d) => ({ timestamp: d[0], fallback: d[1], record: d[3] }) %}

timestamp   -> %tsA {% (d) => b.timestamp(d[0]) %}
             | %tsB {% (d) => b.timestamp(d[0]) %}

mode        -> __ %mode {% () => true %}
             | null     {% () => false %}

trailing    -> __ | null

record      -> %kwSession __ "START" kvTail
                 {% (d, _l, reject) => b.sessionStart(d[3]) ?? reject %}
             | %kwSession __ "END" kvTail
                 {% (d, _l, reject) => b.sessionEnd(d[3]) ?? reject %}
             | %kwSession __ %otherSessionWord textTail
                 {% (d) => ({ kind: 'other', words: ['SESSION', d[2].value], text: d[3] }) %}
             | %kwSnapshot __ "MOUNT" __ %snapshotRef imageTail __ mountStatus detailTail
                 {% (d) => ({ kind: 'snapshot.mount', snapshot: d[4].value, image: d[5], status: d[7], detail: d[8] }) %}
             | %kwSnapshot __ %otherSnapshotWord textTail
                 {% (d) => ({ kind: 'other', words: ['SNAPSHOT', d[2].value], text: d[3] }) %}
             | %kwCheck __ path ellipsisTail __ checkStatus detailTail
                 {% (d) => ({ kind: 'check', path: d[2], status: d[5], detail: d[6] }) %}
             | %kwRestore __ path __ %arrow __ %snapshotRef __ restoreStatus detailTail
                 {% (d) => ({ kind: 'restore', path: d[2], snapshot: d[6].value, status: d[8], detail: d[9] }) %}
             | %kwError __ %code textTail
                 {% (d) => ({ kind: 'error', code: d[2].value, text: d[3] }) %}
             | %kwWarn __ %code textTail
                 {% (d) => ({ kind: 'warn', code: d[2].value, text: d[3] }) %}
             | %kwSummary kvTail
                 {% (d) => ({ kind: 'summary', kv: d[1] }) %}
             | %kwReboot rebootTail
                 {% (d) => ({ kind: 'reboot', delay: d[1] }) %}
             | %kindWord textTail
                 {% (d) => ({ kind: 'other', words: [d[0].value], text: d[1] }) %}

path        -> %path    {% (d, _l, reject) => b.path(d[0]) ?? reject %}
             | %qstring {% (d, _l, reject) => b.path(d[0]) ?? reject %}

checkStatus   -> "OK" {% () => 'ok' %} | "MISSING" {% () => 'missing' %}
               | "CORRUPT" {% () => 'corrupt' %} | "SKIPPED" {% () => 'skipped' %}
restoreStatus -> "OK" {% () => 'ok' %} | "FAILED" {% () => 'failed' %} | "SKIPPED" {% () => 'skipped' %}
mountStatus   -> "OK" {% () => 'ok' %} | "FAILED" {% () => 'failed' %}

ellipsisTail -> __ %ellipsis | null
imageTail    -> __ %kv {% (d, _l, reject) => b.image(d[1]) ?? reject %}
              | null   {% () => null %}
rebootTail   -> __ "in" __ %duration {% (d) => d[3].value %}
              | null                 {% () => null %}

detailTail  -> __ detail {% (d) => d[1] %}
             | null      {% () => null %}
detail      -> %lparen __:? detailItems __:? %rparen
                 {% (d, _l, reject) => b.detail(d[2]) ?? reject %}
             | %lparen __:? %rparen {% () => ({ kv: [] }) %}
detailItems -> detailItem                 {% (d) => [d[0]] %}
             | detailItems __ detailItem  {% (d) => [...d[0], d[2]] %}
detailItem  -> %kv {% id %} | %qstring {% id %}

kvTail      -> __ kvList {% (d) => d[1] %}
             | null      {% () => [] %}
kvList      -> %kv             {% (d) => [b.kv(d[0])] %}
             | kvList __ %kv   {% (d) => [...d[0], b.kv(d[2])] %}

textTail    -> __ text {% (d) => b.text(d[1]) %}
             | null    {% () => null %}
text        -> %notWs              {% (d) => [d[0]] %}
             | text %notWs         {% (d) => [...d[0], d[1]] %}
             | text __ %notWs      {% (d) => [...d[0], d[1], d[2]] %}

__          -> %ws {% id %}
