#!/usr/bin/env python3
"""Reports reference cycles between the Swift files of one module (default Sources/SiloKit).

A file A depends on file B when A names a top-level type (struct, enum, class, protocol, actor,
typealias) that B declares. Comments and string literals are stripped first; `extension T` in B
does not make B a declarer of T. Prints every strongly connected component of more than one file
and exits 1 if there is any, else prints "no cycles" and exits 0.

Usage: scripts/check-cycles.py [MODULE_DIR ...]      (e.g. Sources/SiloKit Sources/SiloSys)
       scripts/check-cycles.py --edges Sources/SiloKit   (also print each file's dependencies)
"""
import os, re, sys

DECL = re.compile(r'^(?:\s*(?:@\w+(?:\([^)]*\))?\s+)*)(?:(?:public|internal|private|fileprivate|package|open|final|indirect|nonisolated)\s+)*'
                  r'(?:struct|enum|class|protocol|actor|typealias)\s+([A-Z][A-Za-z0-9_]*)')
IDENT = re.compile(r'\b[A-Z][A-Za-z0-9_]*\b')

def strip(text):
    # block comments, line comments, multi-line strings, then simple strings (with \( ) kept naive)
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    text = re.sub(r'"""(?:.|\n)*?"""', '""', text)
    out = []
    for line in text.split('\n'):
        line = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
        line = line.split('//', 1)[0]
        out.append(line)
    return out

def scan(dirs):
    files = {}
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in names:
                if n.endswith('.swift'):
                    p = os.path.join(root, n)
                    files[p] = strip(open(p, encoding='utf-8').read())
    declared = {}
    for p, lines in files.items():
        depth = 0
        for line in lines:
            if depth == 0:
                m = DECL.match(line)
                if m: declared.setdefault(m.group(1), p)
            depth += line.count('{') - line.count('}')
    edges = {p: set() for p in files}
    for p, lines in files.items():
        for ident in set(IDENT.findall('\n'.join(lines))):
            q = declared.get(ident)
            if q and q != p: edges[p].add(q)
    return files, edges

def sccs(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            out.append(comp)
    for v in edges:
        if v not in index: visit(v)
    return out

def main():
    args = [a for a in sys.argv[1:] if a != '--edges']
    dirs = args or ['Sources/SiloKit']
    files, edges = scan(dirs)
    if '--edges' in sys.argv:
        for p in sorted(edges):
            print(p, '->', ', '.join(sorted(os.path.relpath(q, dirs[0]) for q in edges[p])))
    bad = [c for c in sccs(edges) if len(c) > 1]
    for c in bad:
        print(f'cycle of {len(c)} files:')
        for p in sorted(c):
            deps = sorted(os.path.basename(q) for q in edges[p] if q in c)
            print(f'  {p}  ->  {", ".join(deps)}')
    if not bad:
        print(f'no cycles ({len(files)} files in {", ".join(dirs)})')
    sys.exit(1 if bad else 0)

main()
