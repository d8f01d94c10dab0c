/*
 * pg-dma-pinned.h - Hubbard, 6 December 2018: "Matthew, can I have that
 * bit now please? ... There is an independent bit available (according
 * to Matthew)."  One more page flag, PageDmaPinned, on v4.20; placed last,
 * where new flags go.  Whether it fits is the question:
 *
 *     layoutcheck bits cdefs/page-flags/pg-dma-pinned.h
 *
 * It fits with bits to spare on Debian's configs, and not at all on a
 * 32-bit NUMA kernel with classic sparsemem, where mm.h's #error stops it.
 */
#define PAGE_FLAGS_EXTRA PG_dma_pinned,
#define PG_COUNT_EXTRA 1

#include "v4.20.h"
