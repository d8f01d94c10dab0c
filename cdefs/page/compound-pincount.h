/*
 * compound-pincount.h - struct page of Linux v5.18 (2022-05-22), the
 * first release where the exact pin count of a compound page sits in the
 * FIRST tail page (page[1].compound_pincount, next to compound_mapcount)
 * instead of the second (v5.7-v5.17 page[2].hpage_pinned_refcount).
 *
 * Source: upstream commit 5232c63f46fdd779303527ec36c518cc1e9c6b4e
 * ("mm: Make compound_pincount always available", Matthew Wilcox, merged
 * for v5.18-rc1), posted as "[PATCH 12/75] mm: Make compound_pincount
 * always available", linux-mm, Fri, 4 Feb 2022,
 * Message-Id: <20220204195852.1751729-13-willy@infradead.org>.
 * Declarations read from include/linux/mm_types.h blob 8834e38c06a4 in a
 * v5.18.12 tree (github.com/esuoyanyu/kernel-5.18, common/, Makefile
 * 5.18.12).  Field names, order, types and #if structure are the
 * kernel's; comments are ours.  (Not v5.9/v5.10: those still have
 * hpage_pinned_refcount in the second tail page.)
 *
 * What the commit changes: atomic_t compound_pincount is added after
 * compound_mapcount in the tail-page member, hpage_pinned_refcount goes
 * back to being _compound_pad_2, and compound_nr is now 64-bit only (on
 * 32-bit there is no room for both before private, which swap-cache
 * tail pages use).  Other differences from v5.7 come from other commits:
 * the slab member left struct page for struct slab (v5.17), lru became a
 * union with an mlock_count (v5.18), page_pool grew to pp_magic/pp/
 * dma_addr/dma_addr_upper|pp_frag_count, mem_cgroup became memcg_data,
 * and the SLAB/SLOB counters left the _mapcount union.
 *
 * v5.18's mm_types.h checks struct page against struct folio with
 * static_assert(); struct folio is reproduced below so that those checks
 * can be carried over unchanged in meaning.
 */
#include "include/prelude.h"

#ifndef LAYOUTCHECK_PAGE_COMPOUND_PINCOUNT_H
#define LAYOUTCHECK_PAGE_COMPOUND_PINCOUNT_H

struct page {
	unsigned long flags;		/* page-flags bits plus section/node/zone */
	/*
	 * Five words shared by the page's current users.  Bit 0 of the
	 * first word is PageTail(); nothing else may set it.
	 */
	union {
		struct {	/* file-backed or anonymous memory */
			union {
				struct list_head lru;	/* LRU or owner's list */
				/* while on the unevictable "list" */
				struct {
					void *__filler;	/* kept even: not a tail */
					unsigned int mlock_count;	/* mlocks held */
				};
			};
			struct address_space *mapping;	/* low bits: PAGE_MAPPING_* */
			pgoff_t index;		/* offset in mapping, in pages */
			unsigned long private;	/* buffers, swap entry, buddy order */
		};
		struct {	/* network page_pool pages */
			unsigned long pp_magic;	/* marks pages owned by a pool */
			struct page_pool *pp;
			unsigned long _pp_mapping_pad;
			unsigned long dma_addr;
			union {
				unsigned long dma_addr_upper;	/* 32-bit, 64-bit DMA */
				atomic_long_t pp_frag_count;	/* fragment users */
			};
		};
		struct {	/* every tail page of a compound page */
			unsigned long compound_head;	/* head pointer | 1 */

			/* meaningful in the first tail page only */
			unsigned char compound_dtor;
			unsigned char compound_order;
			atomic_t compound_mapcount;
			atomic_t compound_pincount;	/* FOLL_PIN pins */
#ifdef CONFIG_64BIT
			unsigned int compound_nr;	/* page count, 2^order */
#endif
		};
		struct {	/* page[2] of a compound page */
			unsigned long _compound_pad_1;	/* on compound_head */
			unsigned long _compound_pad_2;
			struct list_head deferred_list;	/* THP split queue */
		};
		struct {	/* pages holding page tables */
			unsigned long _pt_pad_1;	/* on compound_head */
			pgtable_t pmd_huge_pte;	/* guarded by ptl */
			unsigned long _pt_pad_2;	/* on mapping */
			union {
				struct mm_struct *pt_mm;	/* x86 pgd pages */
				atomic_t pt_frag_refcount;	/* powerpc fragments */
			};
#if ALLOC_SPLIT_PTLOCKS
			spinlock_t *ptl;
#else
			spinlock_t ptl;
#endif
		};
		struct {	/* ZONE_DEVICE memory */
			struct dev_pagemap *pgmap;	/* owning device map */
			void *zone_device_data;
			/*
			 * mapping, index and private keep their page-cache
			 * meaning: device-private pages hold the migrated
			 * page's values, and fsdax pages use them directly.
			 */
		};

		struct rcu_head rcu_head;	/* for freeing after a grace period */
	};

	union {		/* one 32-bit word */
		atomic_t _mapcount;	/* page-table mappings, biased by -1 */
		unsigned int page_type;	/* PG_buddy etc. when never mapped */
	};

	atomic_t _refcount;	/* use the page_ref.h helpers */

#ifdef CONFIG_MEMCG
	unsigned long memcg_data;	/* memcg or objcg pointer | flag bits */
#endif

	/* kernel virtual address, for architectures that store it */
#if defined(WANT_PAGE_VIRTUAL)
	void *virtual;
#endif /* WANT_PAGE_VIRTUAL */

#ifdef LAST_CPUPID_NOT_IN_PAGE_FLAGS
	int _last_cpupid;
#endif
} _struct_page_alignment;

/*
 * A folio is the head page seen as the whole (power-of-two) allocation;
 * its first words must coincide with those of struct page.
 */
struct folio {
	union {
		struct {
			unsigned long flags;
			union {
				struct list_head lru;
				struct {
					void *__filler;
					unsigned int mlock_count;
				};
			};
			struct address_space *mapping;
			pgoff_t index;
			void *private;
			atomic_t _mapcount;
			atomic_t _refcount;
#ifdef CONFIG_MEMCG
			unsigned long memcg_data;
#endif
		};
		struct page page;
	};
};

/* The v5.18 checks (static_assert + FOLIO_MATCH), spelled without headers. */
_Static_assert(sizeof(struct page) == sizeof(struct folio),
	       "struct folio must be exactly one struct page");
_Static_assert(__builtin_offsetof(struct page, flags) ==
	       __builtin_offsetof(struct folio, flags), "flags");
_Static_assert(__builtin_offsetof(struct page, lru) ==
	       __builtin_offsetof(struct folio, lru), "lru");
_Static_assert(__builtin_offsetof(struct page, mapping) ==
	       __builtin_offsetof(struct folio, mapping), "mapping");
_Static_assert(__builtin_offsetof(struct page, compound_head) ==
	       __builtin_offsetof(struct folio, lru), "compound_head");
_Static_assert(__builtin_offsetof(struct page, index) ==
	       __builtin_offsetof(struct folio, index), "index");
_Static_assert(__builtin_offsetof(struct page, private) ==
	       __builtin_offsetof(struct folio, private), "private");
_Static_assert(__builtin_offsetof(struct page, _mapcount) ==
	       __builtin_offsetof(struct folio, _mapcount), "_mapcount");
_Static_assert(__builtin_offsetof(struct page, _refcount) ==
	       __builtin_offsetof(struct folio, _refcount), "_refcount");
#ifdef CONFIG_MEMCG
_Static_assert(__builtin_offsetof(struct page, memcg_data) ==
	       __builtin_offsetof(struct folio, memcg_data), "memcg_data");
#endif

#endif /* LAYOUTCHECK_PAGE_COMPOUND_PINCOUNT_H */
