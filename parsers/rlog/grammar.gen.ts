// @ts-nocheck: generated from grammar.ne by build-grammar.mjs (npm run grammar); do not edit
// Generated automatically by nearley, version 2.20.1
// http://github.com/Hardmath123/nearley
// Bypasses TS6133. Allow declared but unused functions.
// @ts-ignore
function id(d: any[]): any { return d[0]; }

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

interface NearleyToken {
  value: any;
  [key: string]: any;
};

interface NearleyLexer {
  reset: (chunk: string, info: any) => void;
  next: () => NearleyToken | undefined;
  save: () => any;
  formatError: (token: never) => string;
  has: (tokenType: string) => boolean;
};

interface NearleyRule {
  name: string;
  symbols: NearleySymbol[];
  postprocess?: (d: any[], loc?: number, reject?: {}) => any;
};

type NearleySymbol = string | { literal: any } | { test: (token: any) => boolean };

interface Grammar {
  Lexer: NearleyLexer | undefined;
  ParserRules: NearleyRule[];
  ParserStart: string;
};

const grammar: Grammar = {
  Lexer: lexer,
  ParserRules: [
    {"name": "line", "symbols": ["timestamp", "record"], "postprocess": (d) => ({ timestamp: d[0], fallback: false, record: d[1] })},
    {"name": "line", "symbols": ["timestamp", (lexer.has("mode") ? {type: "mode"} : mode), "record"], "postprocess": (d) => ({ timestamp: d[0], fallback: true, record: d[2] })},
    {"name": "timestamp", "symbols": [(lexer.has("tsA") ? {type: "tsA"} : tsA)], "postprocess": (d) => b.timestamp(d[0])},
    {"name": "timestamp", "symbols": [(lexer.has("tsB") ? {type: "tsB"} : tsB)], "postprocess": (d) => b.timestamp(d[0])},
    {"name": "record", "symbols": [(lexer.has("kwSession") ? {type: "kwSession"} : kwSession), {"literal":"START"}, "kvList"], "postprocess": (d, _l, reject) => b.sessionStart(d[2]) ?? reject},
    {"name": "record", "symbols": [(lexer.has("kwSession") ? {type: "kwSession"} : kwSession), {"literal":"END"}, "kvList"], "postprocess": (d, _l, reject) => b.sessionEnd(d[2]) ?? reject},
    {"name": "record", "symbols": [(lexer.has("kwSession") ? {type: "kwSession"} : kwSession), (lexer.has("otherSessionWord") ? {type: "otherSessionWord"} : otherSessionWord), "text"], "postprocess": (d) => ({ kind: 'other', words: ['SESSION', d[1].value], text: d[2] })},
    {"name": "record", "symbols": [(lexer.has("kwSnapshot") ? {type: "kwSnapshot"} : kwSnapshot), {"literal":"MOUNT"}, (lexer.has("snapshotRef") ? {type: "snapshotRef"} : snapshotRef), "image", "mountStatus", "detail"], "postprocess": (d) => ({ kind: 'snapshot.mount', snapshot: d[2].value, image: d[3], status: d[4], detail: d[5] })},
    {"name": "record", "symbols": [(lexer.has("kwSnapshot") ? {type: "kwSnapshot"} : kwSnapshot), (lexer.has("otherSnapshotWord") ? {type: "otherSnapshotWord"} : otherSnapshotWord), "text"], "postprocess": (d) => ({ kind: 'other', words: ['SNAPSHOT', d[1].value], text: d[2] })},
    {"name": "record", "symbols": [(lexer.has("kwCheck") ? {type: "kwCheck"} : kwCheck), "path", "checkStatus", "detail"], "postprocess": (d) => ({ kind: 'check', path: d[1], status: d[2], detail: d[3] })},
    {"name": "record", "symbols": [(lexer.has("kwCheck") ? {type: "kwCheck"} : kwCheck), "path", (lexer.has("ellipsis") ? {type: "ellipsis"} : ellipsis), "checkStatus", "detail"], "postprocess": (d) => ({ kind: 'check', path: d[1], status: d[3], detail: d[4] })},
    {"name": "record", "symbols": [(lexer.has("kwRestore") ? {type: "kwRestore"} : kwRestore), "path", (lexer.has("arrow") ? {type: "arrow"} : arrow), (lexer.has("snapshotRef") ? {type: "snapshotRef"} : snapshotRef), "restoreStatus", "detail"], "postprocess": (d) => ({ kind: 'restore', path: d[1], snapshot: d[3].value, status: d[4], detail: d[5] })},
    {"name": "record", "symbols": [(lexer.has("kwError") ? {type: "kwError"} : kwError), (lexer.has("code") ? {type: "code"} : code), "text"], "postprocess": (d) => ({ kind: 'error', code: d[1].value, text: d[2] })},
    {"name": "record", "symbols": [(lexer.has("kwWarn") ? {type: "kwWarn"} : kwWarn), (lexer.has("code") ? {type: "code"} : code), "text"], "postprocess": (d) => ({ kind: 'warn', code: d[1].value, text: d[2] })},
    {"name": "record", "symbols": [(lexer.has("kwSummary") ? {type: "kwSummary"} : kwSummary), "kvList"], "postprocess": (d) => ({ kind: 'summary', kv: d[1] })},
    {"name": "record", "symbols": [(lexer.has("kwReboot") ? {type: "kwReboot"} : kwReboot)], "postprocess": () => ({ kind: 'reboot', delay: null })},
    {"name": "record", "symbols": [(lexer.has("kwReboot") ? {type: "kwReboot"} : kwReboot), {"literal":"in"}, (lexer.has("duration") ? {type: "duration"} : duration)], "postprocess": (d) => ({ kind: 'reboot', delay: d[2].value })},
    {"name": "record", "symbols": [(lexer.has("kindWord") ? {type: "kindWord"} : kindWord), "text"], "postprocess": (d) => ({ kind: 'other', words: [d[0].value], text: d[1] })},
    {"name": "path", "symbols": [(lexer.has("path") ? {type: "path"} : path)], "postprocess": (d, _l, reject) => b.path(d[0]) ?? reject},
    {"name": "path", "symbols": [(lexer.has("qstring") ? {type: "qstring"} : qstring)], "postprocess": (d, _l, reject) => b.path(d[0]) ?? reject},
    {"name": "checkStatus", "symbols": [(lexer.has("checkStatus") ? {type: "checkStatus"} : checkStatus)], "postprocess": (d) => d[0].value.toLowerCase()},
    {"name": "restoreStatus", "symbols": [(lexer.has("restoreStatus") ? {type: "restoreStatus"} : restoreStatus)], "postprocess": (d) => d[0].value.toLowerCase()},
    {"name": "mountStatus", "symbols": [(lexer.has("mountStatus") ? {type: "mountStatus"} : mountStatus)], "postprocess": (d) => d[0].value.toLowerCase()},
    {"name": "image", "symbols": [(lexer.has("kv") ? {type: "kv"} : kv)], "postprocess": (d, _l, reject) => b.image(d[0]) ?? reject},
    {"name": "image", "symbols": [], "postprocess": () => null},
    {"name": "detail", "symbols": [], "postprocess": () => null},
    {"name": "detail", "symbols": [(lexer.has("lparen") ? {type: "lparen"} : lparen), (lexer.has("rparen") ? {type: "rparen"} : rparen)], "postprocess": () => ({ kv: [] })},
    {"name": "detail", "symbols": [(lexer.has("lparen") ? {type: "lparen"} : lparen), "detailItems", (lexer.has("rparen") ? {type: "rparen"} : rparen)], "postprocess": (d, _l, reject) => b.detail(d[1]) ?? reject},
    {"name": "detailItems", "symbols": ["detailItem"], "postprocess": (d) => [d[0]]},
    {"name": "detailItems", "symbols": ["detailItems", "detailItem"], "postprocess": (d) => { d[0].push(d[1]); return d[0]; }},
    {"name": "detailItem", "symbols": [(lexer.has("kv") ? {type: "kv"} : kv)], "postprocess": id},
    {"name": "detailItem", "symbols": [(lexer.has("qstring") ? {type: "qstring"} : qstring)], "postprocess": id},
    {"name": "kvList", "symbols": [], "postprocess": () => []},
    {"name": "kvList", "symbols": ["kvList", (lexer.has("kv") ? {type: "kv"} : kv)], "postprocess": (d) => { d[0].push(b.kv(d[1])); return d[0]; }},
    {"name": "text", "symbols": [], "postprocess": () => null},
    {"name": "text", "symbols": ["textTokens"], "postprocess": (d) => b.span(d[0])},
    {"name": "textTokens", "symbols": [(lexer.has("any") ? {type: "any"} : any)], "postprocess": (d) => [d[0], d[0]]},
    {"name": "textTokens", "symbols": ["textTokens", (lexer.has("any") ? {type: "any"} : any)], "postprocess": (d) => [d[0][0], d[1]]}
  ],
  ParserStart: "line",
};

export default grammar;
