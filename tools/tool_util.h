/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the vnpu command-line tools.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef VNPU_TOOL_UTIL_H
#define VNPU_TOOL_UTIL_H

#include <stdio.h>

/* Print @s (NULL prints "") as a JSON string literal on stdout. */
static inline void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

#endif /* VNPU_TOOL_UTIL_H */
