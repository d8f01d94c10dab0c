/*
 * config.h - the configuration page->flags is packed for: what a .config
 * and the architecture's headers give page-flags-layout.h.
 *
 * With no -D, a small kernel: FLATMEM, no NUMA, one CPU, the zones
 * DMA, NORMAL and MOVABLE.  -DDEBIAN_6_1 gives the values of Debian's
 * 6.1 kernels (the configs of linux-headers-6.1.0-*): its amd64 flavour on
 * 64-bit ABIs (SPARSEMEM_VMEMMAP, 1024 nodes, 8192 CPUs, NUMA balancing,
 * zones DMA, DMA32, NORMAL, MOVABLE and DEVICE) and its 686-pae flavour on
 * 32-bit ones (FLATMEM, 32 CPUs, zones DMA, NORMAL, HIGHMEM and MOVABLE).
 * -DSPARSE_NUMA_32 is a 32-bit NUMA kernel with classic SPARSEMEM, the
 * tightest word (x86 PAE's sections: 36 physical address bits, 2^29-byte
 * sections; 8 nodes, 8 CPUs, NUMA balancing).  Any single value may be
 * given with -D as well (-DCONFIG_NR_CPUS_LOG2=6 ...).
 *
 * CONFIG_64BIT comes from the rules file's [matrix.abi_defines].
 */
#ifndef LAYOUTCHECK_PAGE_FLAGS_CONFIG_H
#define LAYOUTCHECK_PAGE_FLAGS_CONFIG_H

#ifdef CONFIG_64BIT
#define BITS_PER_LONG 64
#else
#define BITS_PER_LONG 32
#endif

#define CONFIG_MMU 1

#if defined(DEBIAN_6_1) && defined(CONFIG_64BIT)
#define CONFIG_SPARSEMEM 1
#define CONFIG_SPARSEMEM_VMEMMAP 1
#define MAX_PHYSMEM_BITS 46		/* 4-level paging */
#define SECTION_SIZE_BITS 27
#define CONFIG_NODES_SHIFT 10
#define CONFIG_NR_CPUS_LOG2 13		/* CONFIG_NR_CPUS 8192 */
#define CONFIG_NUMA_BALANCING 1
#define CONFIG_ZONE_DMA 1
#define CONFIG_ZONE_DMA32 1
#define CONFIG_ZONE_DEVICE 1
#define CONFIG_MEMORY_FAILURE 1
#define CONFIG_ARCH_USES_PG_UNCACHED 1
#elif defined(DEBIAN_6_1)
#define CONFIG_NR_CPUS_LOG2 5		/* CONFIG_NR_CPUS 32 */
#define CONFIG_ZONE_DMA 1
#define CONFIG_HIGHMEM 1
#define CONFIG_MEMORY_FAILURE 1
#define CONFIG_ARCH_USES_PG_UNCACHED 1
#elif defined(SPARSE_NUMA_32)
#define CONFIG_SPARSEMEM 1
#define MAX_PHYSMEM_BITS 36
#define SECTION_SIZE_BITS 29
#define CONFIG_NODES_SHIFT 3
#define CONFIG_NR_CPUS_LOG2 3		/* CONFIG_NR_CPUS 8 */
#define CONFIG_NUMA_BALANCING 1
#define CONFIG_ZONE_DMA 1
#define CONFIG_HIGHMEM 1
#define CONFIG_MEMORY_FAILURE 1
#endif

#ifndef CONFIG_NR_CPUS_LOG2
#define CONFIG_NR_CPUS_LOG2 0		/* CONFIG_NR_CPUS 1 */
#endif

/* How many enumerators each option adds to enum pageflags and zone_type. */
#ifdef CONFIG_MMU
#define PG_COUNT_MMU 1
#else
#define PG_COUNT_MMU 0
#endif
#ifdef CONFIG_ARCH_USES_PG_UNCACHED
#define PG_COUNT_UNCACHED 1
#else
#define PG_COUNT_UNCACHED 0
#endif
#ifdef CONFIG_MEMORY_FAILURE
#define PG_COUNT_HWPOISON 1
#else
#define PG_COUNT_HWPOISON 0
#endif
#if defined(CONFIG_IDLE_PAGE_TRACKING) && defined(CONFIG_64BIT)
#define PG_COUNT_IDLE 2
#else
#define PG_COUNT_IDLE 0
#endif
/* a proposal's new flags: the enumerators (each followed by a comma) and
   how many */
#ifndef PAGE_FLAGS_EXTRA
#define PAGE_FLAGS_EXTRA
#define PG_COUNT_EXTRA 0
#endif

#ifdef CONFIG_ZONE_DMA
#define ZONE_COUNT_DMA 1
#else
#define ZONE_COUNT_DMA 0
#endif
#ifdef CONFIG_ZONE_DMA32
#define ZONE_COUNT_DMA32 1
#else
#define ZONE_COUNT_DMA32 0
#endif
#ifdef CONFIG_HIGHMEM
#define ZONE_COUNT_HIGHMEM 1
#else
#define ZONE_COUNT_HIGHMEM 0
#endif
#ifdef CONFIG_ZONE_DEVICE
#define ZONE_COUNT_DEVICE 1
#else
#define ZONE_COUNT_DEVICE 0
#endif

#endif /* LAYOUTCHECK_PAGE_FLAGS_CONFIG_H */
