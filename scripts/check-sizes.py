#!/usr/bin/env python3
"""Lists Swift files over MAX_LINES lines and functions/initializers over MAX_FUNC lines.
Usage: scripts/check-sizes.py [DIR ...]   (default: Sources)   exit 1 if anything is over.
Env: MAX_LINES (450), MAX_FUNC (80)."""
import os, re, sys
MAX_LINES = int(os.environ.get('MAX_LINES', 450)); MAX_FUNC = int(os.environ.get('MAX_FUNC', 80))
FUNC = re.compile(r'^\s*(?:@\w+\s+)*(?:(?:public|internal|private|fileprivate|package|open|static|class|final|override|mutating|nonmutating|consuming|borrowing|nonisolated|@inline\(__always\)|@inlinable|@discardableResult)\s+)*(?:func\s+\w+|init[?!]?\s*[(<]|deinit\b)')

def code_only(text):
    """Blanks out comments and string literals (with nested \\( ) interpolation) but keeps newlines."""
    out, i, n = [], 0, len(text)
    stack = []  # 'code' or string delimiters
    def emit(c): out.append(c if c == '\n' else ' ')
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i); j = n if j < 0 else j
            out.append(' ' * (j - i)); i = j; continue
        if text.startswith('/*', i):
            j = text.find('*/', i + 2); j = n if j < 0 else j + 2
            for ch in text[i:j]: emit(ch)
            i = j; continue
        if c == '"':
            delim = '"""' if text.startswith('"""', i) else '"'
            i += len(delim); out.append(' ' * len(delim))
            depth = 0
            while i < n:
                if text.startswith('\\(', i):
                    # skip balanced interpolation
                    k = i + 2; d = 1
                    while k < n and d:
                        if text[k] == '(': d += 1
                        elif text[k] == ')': d -= 1
                        k += 1
                    for ch in text[i:k]: emit(ch)
                    i = k; continue
                if text[i] == '\\': emit(text[i]); emit(text[i+1] if i + 1 < n else ' '); i += 2; continue
                if text.startswith(delim, i): out.append(' ' * len(delim)); i += len(delim); break
                emit(text[i]); i += 1
            continue
        out.append(c); i += 1
    return ''.join(out)

bad = 0
for d in (sys.argv[1:] or ['Sources']):
    for root, _, names in os.walk(d):
        for name in sorted(names):
            if not name.endswith('.swift'): continue
            p = os.path.join(root, name)
            raw = open(p, encoding='utf-8').read()
            nlines = raw.count('\n')
            if nlines > MAX_LINES:
                print(f'file {nlines:5d} lines  {p}'); bad += 1
            lines = code_only(raw).split('\n')
            for i, line in enumerate(lines):
                if not FUNC.match(line): continue
                depth, started, j, parens = 0, False, i, 0
                while j < len(lines):
                    for ch in lines[j]:
                        if not started and ch in '([': parens += 1
                        elif not started and ch in ')]': parens -= 1
                        elif ch == '{' and (started or parens == 0): depth += 1; started = True
                        elif ch == '}' and started: depth -= 1
                    if started and depth <= 0: break
                    if not started and j > i + 8: break
                    j += 1
                if started and j - i + 1 > MAX_FUNC:
                    print(f'func {j - i + 1:5d} lines  {p}:{i + 1}  {raw.split(chr(10))[i].strip()[:80]}'); bad += 1
sys.exit(1 if bad else 0)
