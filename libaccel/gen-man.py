#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate the section-3 man pages of libaccel from its headers.

    gen-man.py KERNEL_DOC OUTDIR HEADER... [--lenient HEADER...]

Runs the kernel's kernel-doc (perl, from Debian's linux-source) in -man
mode on every public header and splits its output into one page per
function, struct and typedef: OUTDIR/NAME.3 with a libaccel title line, the
include line and the pkg-config link line added to the synopsis.
Exits non-zero if kernel-doc warns (an undocumented parameter or member)
on a header before --lenient; warnings on the headers after it are printed
only.
"""
import os
import re
import subprocess
import sys


def main():
    kdoc, outdir, headers = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    pages = 0
    strict = True
    for hdr in headers:
        if hdr == '--lenient':
            strict = False
            continue
        res = subprocess.run(['perl', kdoc, '-man', '-Wall', hdr],
                             capture_output=True, text=True)
        if res.returncode or (strict and res.stderr.strip()):
            sys.stderr.write(res.stderr)
            sys.stderr.write('gen-man: kernel-doc failed on %s\n' % hdr)
            return 1
        if res.stderr.strip():
            sys.stderr.write('gen-man: %s: %d kernel-doc warnings '
                             '(lenient)\n' % (hdr, len(res.stderr.splitlines())))
        inc = os.path.basename(hdr)
        for chunk in re.split(r'(?m)^(?=\.TH )', res.stdout):
            if not chunk.startswith('.TH '):
                continue
            fields = re.findall(r'"([^"]*)"', chunk.splitlines()[0])
            name = fields[0] if fields[0] != 'Kernel API' else fields[1]
            name = re.sub(r'^(struct|union|enum|typedef) ', '', name)
            if not re.fullmatch(r'[A-Za-z0-9_]+', name):
                continue
            body = chunk.split('\n', 1)[1]
            # whatis wants "accel_x \- ..." in NAME, not "struct accel_x".
            body = re.sub(r'(?m)(^\.SH NAME\n)(?:struct|union|enum) ',
                          r'\1', body, count=1)
            body = body.replace('.SH SYNOPSIS\n',
                                '.SH SYNOPSIS\n.nf\n.B #include <%s>\n.fi\n'
                                '.PP\nLink with \\fI$(pkg-config --libs '
                                'libaccel)\\fP.\n.PP\n' % inc, 1)
            head = ('.\\" SPDX-License-Identifier: MIT\n'
                    '.\\" Generated from %s by gen-man.py; do not edit.\n'
                    '.TH "%s" 3 "November 2026" "libaccel 1.0" '
                    '"libaccel Manual"\n' % (inc, name))
            see = '.SH "SEE ALSO"\n.BR libaccel (3)\n'
            with open(os.path.join(outdir, name + '.3'), 'w') as f:
                f.write(head + body + see)
            pages += 1
    print('gen-man: %d pages in %s' % (pages, outdir))
    return 0


if __name__ == '__main__':
    sys.exit(main())
