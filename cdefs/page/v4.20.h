/*
 * v4.20.h - struct page of Linux v4.20 (tag v4.20, "Linux 4.20",
 * 2018-12-23), include/linux/mm_types.h: the layout the December 2018
 * linux-mm thread on DMA-pinned get_user_pages() pages argued about.
 *
 * Sources: the v4.20 tarball import in github.com/a4913994/linux-4.20
 * (commit 89eafd3ccb44, Makefile 4.20.0; its mm_types.h carries a
 * third party's added comments, the declarations were read from it),
 * checked against the v4.19 text (github.com/0x88888888/Linux-4.19) and
 * against the context lines of the diffs in the thread (mm_types.h blob
 * 5ed8f6292a53, Message-IDs <20181012060014.10242-5-jhubbard@nvidia.com>,
 * <3c4d46c0-aced-f96f-1bf3-725d02f11b60@nvidia.com>).  Field names,
 * order, types and #if structure are the kernel's; comments are ours.
 *
 * No change is proposed here: this is the baseline.  64 bytes on x86_64
 * with CONFIG_MEMCG, 36 on i386 with CONFIG_MEMCG.
 */
#include "include/prelude.h"

#ifndef LAYOUTCHECK_PAGE_V4_20_H
#define LAYOUTCHECK_PAGE_V4_20_H

struct page {
	unsigned long flags;		/* page-flags bits plus section/node/zone */
	/*
	 * Five words shared by the page's current users.  Bit 0 of the
	 * first word is PageTail(); nothing else may set it.
	 */
	union {
		struct {	/* file-backed or anonymous memory */
			struct list_head lru;	/* LRU or owner's private list */
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

#endif /* LAYOUTCHECK_PAGE_V4_20_H */
