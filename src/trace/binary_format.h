/* SPDX-License-Identifier: MIT */
/* binary_format.h: constants of tangle's binary trace format, shared by the
 * writer and the reader. docs/trace-format.md is the specification; change
 * both together and bump TG__FORMAT_MAJOR for incompatible changes. */
#ifndef TG_TRACE_BINARY_FORMAT_H
#define TG_TRACE_BINARY_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define TG__MAGIC "TANGLETR"
#define TG__MAGIC_LEN 8
#define TG__FILE_HEADER_LEN 16     /* magic, u16 major, u16 minor, u32 flags */
#define TG__FORMAT_MAJOR 1
#define TG__FORMAT_MINOR 1 /* 1: a site's text records are its frames, outermost first */

#define TG__BLOCK_MAGIC 0x314b4c42u /* "BLK1" little-endian */
#define TG__BLOCK_HEADER_LEN 16     /* magic, u32 length, u32 records, u32 crc */
#define TG__BLOCK_MAX_PAYLOAD (1u << 20) /* readers reject longer blocks */
#define TG__WRITER_BLOCK 65536u     /* payload size the writer aims for */

/* Record tags. Events are TG__REC_EVENT + enum tg_trace_op. */
enum {
    TG__REC_THREAD = 0x01,    /* id, name length, name */
    TG__REC_OBJECT = 0x02,    /* id, kind, name length, name */
    TG__REC_SITE = 0x03,      /* id, frame count, frames (pcs) */
    TG__REC_SITE_TEXT = 0x04, /* id, length, text */
    TG__REC_END = 0x05,       /* total number of events written */
    TG__REC_EVENT = 0x10      /* + op: flags byte, thread, obj, site+1, aux+1 */
};

#define TG__MAX_ID (1u << 24)      /* largest thread/object/site id + 1 */
#define TG__MAX_FRAMES 256
#define TG__MAX_TEXT 4096
#define TG__MAX_SITE_TEXTS 1024 /* frames of text per site (inlined calls included) */

uint32_t tg__crc32(uint32_t crc, const void *data, size_t n);
/* The checksum of a block: CRC-32 of its length and record-count fields,
 * then of its payload (the checksum field itself is not covered). */
uint32_t tg__block_crc(const unsigned char *header, const unsigned char *payload, size_t len);

#endif
