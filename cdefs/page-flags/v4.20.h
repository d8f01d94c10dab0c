/*
 * v4.20.h - page->flags of Linux v4.20, bit by bit: the page flags (enum
 * pageflags, include/linux/page-flags.h), the arithmetic that packs the
 * section, node, zone and last_cpupid fields above them
 * (include/linux/page-flags-layout.h), and their positions
 * (include/linux/mm.h, "Page flags: | [SECTION] | [NODE] | ZONE |
 * [LAST_CPUPID] | ... | FLAGS |").  struct page is the one of
 * ../page/v4.20.h, read after the arithmetic as mm_types.h reads it, so
 * that LAST_CPUPID_NOT_IN_PAGE_FLAGS adds _last_cpupid where the kernel's
 * would.
 *
 * Names, order, #if structure and arithmetic are v4.20's (the tarball
 * import in github.com/a4913994/linux-4.20); comments are ours.
 *
 *     layoutcheck bits cdefs/page-flags/v4.20.h
 *
 * The numbers kbuild generates into include/generated/bounds.h by
 * compiling kernel/bounds.c (NR_PAGEFLAGS, MAX_NR_ZONES, NR_CPUS_BITS)
 * are counted here by the preprocessor from the same config macros; the
 * `bits` command checks NR_PAGEFLAGS against enum pageflags.
 */
#ifndef LAYOUTCHECK_PAGE_FLAGS_V4_20_H
#define LAYOUTCHECK_PAGE_FLAGS_V4_20_H

#include "include/config.h"

/* ---- include/generated/bounds.h, as kbuild would write it ---------------- */
#define NR_PAGEFLAGS (21 + PG_COUNT_MMU + PG_COUNT_UNCACHED + PG_COUNT_HWPOISON + \
		      PG_COUNT_IDLE + PG_COUNT_EXTRA)
#define MAX_NR_ZONES (2 + ZONE_COUNT_DMA + ZONE_COUNT_DMA32 + ZONE_COUNT_HIGHMEM + \
		      ZONE_COUNT_DEVICE)
/* ilog2(CONFIG_NR_CPUS) */
#define NR_CPUS_BITS CONFIG_NR_CPUS_LOG2

/* ---- include/linux/numa.h ------------------------------------------------ */
#ifdef CONFIG_NODES_SHIFT
#define NODES_SHIFT	CONFIG_NODES_SHIFT
#else
#define NODES_SHIFT	0
#endif

/* ---- include/linux/page-flags-layout.h ----------------------------------- */
#if MAX_NR_ZONES < 2
#define ZONES_SHIFT 0
#elif MAX_NR_ZONES <= 2
#define ZONES_SHIFT 1
#elif MAX_NR_ZONES <= 4
#define ZONES_SHIFT 2
#elif MAX_NR_ZONES <= 8
#define ZONES_SHIFT 3
#else
#error ZONES_SHIFT: more zones than the arithmetic knows
#endif

#ifdef CONFIG_SPARSEMEM
/* asm/sparsemem.h: the bits of a section number */
#define SECTIONS_SHIFT	(MAX_PHYSMEM_BITS - SECTION_SIZE_BITS)
#endif

#if defined(CONFIG_SPARSEMEM) && !defined(CONFIG_SPARSEMEM_VMEMMAP)
#define SECTIONS_WIDTH		SECTIONS_SHIFT
#else
#define SECTIONS_WIDTH		0
#endif

#define ZONES_WIDTH		ZONES_SHIFT

#if SECTIONS_WIDTH+ZONES_WIDTH+NODES_SHIFT <= BITS_PER_LONG - NR_PAGEFLAGS
#define NODES_WIDTH		NODES_SHIFT
#else
#ifdef CONFIG_SPARSEMEM_VMEMMAP
#error "Vmemmap: No space for nodes field in page flags"
#endif
#define NODES_WIDTH		0
#endif

#ifdef CONFIG_NUMA_BALANCING
#define LAST__PID_SHIFT 8
#define LAST__CPU_SHIFT NR_CPUS_BITS
#define LAST_CPUPID_SHIFT (LAST__PID_SHIFT+LAST__CPU_SHIFT)
#else
#define LAST_CPUPID_SHIFT 0
#endif

#if SECTIONS_WIDTH+ZONES_WIDTH+NODES_SHIFT+LAST_CPUPID_SHIFT <= BITS_PER_LONG - NR_PAGEFLAGS
#define LAST_CPUPID_WIDTH LAST_CPUPID_SHIFT
#else
#define LAST_CPUPID_WIDTH 0
#endif

#if !(NODES_WIDTH > 0 || NODES_SHIFT == 0)
#define NODE_NOT_IN_PAGE_FLAGS
#endif

#if defined(CONFIG_NUMA_BALANCING) && LAST_CPUPID_WIDTH == 0
#define LAST_CPUPID_NOT_IN_PAGE_FLAGS
#endif

/* ---- include/linux/mm.h --------------------------------------------------- */
#define SECTIONS_PGOFF		((sizeof(unsigned long)*8) - SECTIONS_WIDTH)
#define NODES_PGOFF		(SECTIONS_PGOFF - NODES_WIDTH)
#define ZONES_PGOFF		(NODES_PGOFF - ZONES_WIDTH)
#define LAST_CPUPID_PGOFF	(ZONES_PGOFF - LAST_CPUPID_WIDTH)

#if SECTIONS_WIDTH+NODES_WIDTH+ZONES_WIDTH > BITS_PER_LONG - NR_PAGEFLAGS
#error SECTIONS_WIDTH+NODES_WIDTH+ZONES_WIDTH > BITS_PER_LONG - NR_PAGEFLAGS
#endif

/* ---- include/linux/page-flags.h ------------------------------------------ */
enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_workingset,
	PG_waiters,		/* bit 7, in PG_locked's byte */
	PG_error,
	PG_slab,
	PG_owner_priv_1,
	PG_arch_1,
	PG_reserved,
	PG_private,
	PG_private_2,
	PG_writeback,
	PG_head,
	PG_mappedtodisk,
	PG_reclaim,
	PG_swapbacked,
	PG_unevictable,
#ifdef CONFIG_MMU
	PG_mlocked,
#endif
#ifdef CONFIG_ARCH_USES_PG_UNCACHED
	PG_uncached,
#endif
#ifdef CONFIG_MEMORY_FAILURE
	PG_hwpoison,
#endif
#if defined(CONFIG_IDLE_PAGE_TRACKING) && defined(CONFIG_64BIT)
	PG_young,
	PG_idle,
#endif
	PAGE_FLAGS_EXTRA	/* a proposal's new flags; nothing in v4.20 */
	__NR_PAGEFLAGS,

	/* second names of the bits above */
	PG_checked = PG_owner_priv_1,
	PG_swapcache = PG_owner_priv_1,
	PG_fscache = PG_private_2,
	PG_pinned = PG_owner_priv_1,
	PG_savepinned = PG_dirty,
	PG_foreign = PG_owner_priv_1,
	PG_slob_free = PG_private,
	PG_double_map = PG_private_2,
	PG_isolated = PG_reclaim,
};

/* struct page, with _last_cpupid where the arithmetic above left it out */
#include "../page/v4.20.h"

#endif /* LAYOUTCHECK_PAGE_FLAGS_V4_20_H */
