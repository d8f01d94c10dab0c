/*
 * one-field.h - v4.20 struct page with the DMA-pin state packed into one
 * word, the way John Hubbard sketched it in the December 2018 thread.
 *
 * Source: John Hubbard, Re: [PATCH 1/2] mm: introduce put_user_page*(),
 * placeholder versions, linux-mm/LKML, 4 Dec 2018 (quoted in
 * <20181208022445.GA7024@redhat.com>): "we need: -- 1 bit for
 * PageDmaPinned -- 1 bit, if using LRU field(s), for PageDmaPinnedWasLru.
 * -- N bits for a reference count.  Those *could* be packed into a single
 * 64-bit field, if really necessary", and, for where: "For normal pages,
 * this will be the *second* field of the LRU (in order to avoid PageTail
 * bit)".  No patch was posted; the declarations below are this project's
 * reading of those sentences: the pinned bit, the was-LRU bit and the
 * count as bitfields of one unsigned long on lru.prev ("this needs to work
 * on 32-bit systems, as well": a word, not a u64), lru.next left alone.
 * Applied to v4.20 (see v4.20.h).
 *
 * What it changes: nothing in the size of struct page.  For ZONE_DEVICE
 * pages lru.prev is hmm_data ("HMM has done an efficient job of mopping
 * up unused fields, and now we are completely out of space"), which is
 * why the thread moved on to a new field (dma-pinned-count.h).
 */
#include "include/prelude.h"

#ifndef LAYOUTCHECK_PAGE_ONE_FIELD_H
#define LAYOUTCHECK_PAGE_ONE_FIELD_H

/* what is left of the word for the count: BITS_PER_LONG - 2 */
#ifdef CONFIG_64BIT
#define DMA_PIN_COUNT_BITS	62
#else
#define DMA_PIN_COUNT_BITS	30
#endif

struct page {
	unsigned long flags;		/* page-flags bits plus section/node/zone */
	/*
	 * Five words shared by the page's current users.  Bit 0 of the
	 * first word is PageTail(); nothing else may set it.
	 */
	union {
		struct {	/* file-backed or anonymous memory */
			union {
				struct list_head lru;	/* LRU or owner's private list */
				struct {	/* a DMA-pinned page, off the LRU */
					/* lru.next: compound_head's word, untouched */
					struct list_head *_dma_lru_next;
					/* lru.prev: one word for all the pin state */
					unsigned long dma_pinned:1;
					unsigned long dma_pinned_was_lru:1;
					unsigned long dma_pinned_count:DMA_PIN_COUNT_BITS;
				};
			};
			struct address_space *mapping;	/* low bits: PAGE_MAPPING_* */
			pgoff_t index;		/* offset in mapping, in pages */
			unsigned long private;	/* buffers, swap entry, buddy order */
		};
		struct {	/* SLAB, SLOB and SLUB allocators */
			union {
				struct list_head slab_list;	/* on lru */
				struct {	/* SLUB per-cpu partial list */
					struct page *next;
#ifdef CONFIG_64BIT
					int pages;	/* pages left on the list */
					int pobjects;	/* rough free-object count */
#else
					short int pages;
					short int pobjects;
#endif
				};
			};
			struct kmem_cache *slab_cache;	/* unused by slob */
			/* freelist starts a double word (cmpxchg_double) */
			void *freelist;		/* head of the free-object chain */
			union {
				void *s_mem;	/* SLAB: address of object 0 */
				unsigned long counters;	/* SLUB: the three below */
				struct {	/* SLUB's split of counters */
					unsigned inuse:16;
					unsigned objects:15;
					unsigned frozen:1;
				};
			};
		};
		struct {	/* every tail page of a compound page */
			unsigned long compound_head;	/* head pointer | 1 */

			/* meaningful in the first tail page only */
			unsigned char compound_dtor;
			unsigned char compound_order;
			atomic_t compound_mapcount;
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
			unsigned long hmm_data;
			unsigned long _zd_pad_1;	/* on mapping, which stays in use */
		};

		struct rcu_head rcu_head;	/* for freeing after a grace period */
	};

	union {		/* one 32-bit word */
		atomic_t _mapcount;	/* page-table mappings, biased by -1 */
		unsigned int page_type;	/* PG_buddy etc. when never mapped */
		unsigned int active;	/* used by SLAB */
		int units;		/* used by SLOB */
	};

	atomic_t _refcount;	/* use the page_ref.h helpers */

#ifdef CONFIG_MEMCG
	struct mem_cgroup *mem_cgroup;
#endif

	/* kernel virtual address, for architectures that store it */
#if defined(WANT_PAGE_VIRTUAL)
	void *virtual;
#endif /* WANT_PAGE_VIRTUAL */

#ifdef LAST_CPUPID_NOT_IN_PAGE_FLAGS
	int _last_cpupid;
#endif
} _struct_page_alignment;

#endif /* LAYOUTCHECK_PAGE_ONE_FIELD_H */
