/* dtq_printf: a small freestanding formatter over dtq_puts (no heap, no libc stdio). */
#include <stdarg.h>
#include <stdint.h>

#include "dtq_hal.h"

typedef struct {
    char buf[96];
    uint32_t n;
} dtq_out;

static void out_flush(dtq_out *o) {
    if (o->n) {
        o->buf[o->n] = '\0';
        dtq_puts(o->buf);
        o->n = 0;
    }
}

static void out_c(dtq_out *o, char c) {
    if (o->n + 1 >= sizeof o->buf) out_flush(o);
    o->buf[o->n++] = c;
}

static void out_num(dtq_out *o, uint64_t v, unsigned base, int upper, int neg, unsigned width, char pad) {
    char tmp[24];
    unsigned n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg) {
        if (pad == '0') out_c(o, '-');
        else tmp[n++] = '-';
        if (width) width--;
    }
    while (width > n) {
        out_c(o, pad);
        width--;
    }
    while (n) out_c(o, tmp[--n]);
}

void dtq_printf(const char *fmt, ...) {
    dtq_out o;
    va_list ap;
    o.n = 0;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        char pad = ' ';
        unsigned width = 0;
        int is64 = 0;
        if (*fmt != '%') {
            out_c(&o, *fmt);
            continue;
        }
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10u + (unsigned)(*fmt++ - '0');
        if (fmt[0] == 'l' && fmt[1] == 'l') {
            is64 = 1;
            fmt += 2;
        }
        switch (*fmt) {
            case 'd': {
                int64_t v = is64 ? va_arg(ap, long long) : va_arg(ap, int);
                out_num(&o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 10, 0, v < 0, width, pad);
                break;
            }
            case 'u': out_num(&o, is64 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 10, 0, 0, width, pad); break;
            case 'x':
            case 'X':
                out_num(&o, is64 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 16, *fmt == 'X', 0, width, pad);
                break;
            case 's': {
                const char *s = va_arg(ap, const char *);
                unsigned len = 0;
                while (s[len]) len++;
                while (width > len) {
                    out_c(&o, ' ');
                    width--;
                }
                while (*s) out_c(&o, *s++);
                break;
            }
            case 'c': out_c(&o, (char)va_arg(ap, int)); break;
            case '%': out_c(&o, '%'); break;
            case '\0': fmt--; break;
            default: out_c(&o, '%'); out_c(&o, *fmt); break;
        }
    }
    va_end(ap);
    out_flush(&o);
}
