/*
 * Structs whose layouts differ between ABIs in the ways that matter; the
 * answers GCC gave for each ABI are pinned in gcc_expectations.json
 * (tools/pin_expectations.py) so the engine is held to them even on a
 * machine without the cross compilers.
 */

/* Bitfields: allocation from the most significant end on big endian. */
struct bits {
	unsigned a : 3, b : 5, c : 7;
	unsigned char d : 4;
	unsigned long long e : 40;
	signed char f : 2;
	_Bool g : 1;
};

/* m68k aligns everything wider than a byte to 2. */
struct natural {
	char c;
	int i;
	short s;
	long long ll;
	double d;
	void *p;
};

/* i386 and sh4 put long long and double on 4-byte boundaries in structs. */
struct ll_in_struct {
	char c;
	long long x;
	char c2;
	double d;
	long long arr[2];
};

/* AAPCS (arm, aarch64): zero-width and unnamed bitfields align the struct. */
struct zero_width {
	char c;
	int : 0;
	char d;
};
struct unnamed_bitfield {
	char c;
	int : 4;
};
struct straddle {
	char a : 4;
	int b : 30;
};

/* Packed bitfields: no type boundaries, bit-granular positions. */
struct __attribute__((packed)) packed_bits {
	char c;
	int x : 20;
	unsigned char y : 6;
	unsigned z : 30;
	long long w : 33;
};

/* long double: 8, 12 or 16 bytes, aligned 2, 4, 8 or 16. */
struct with_long_double {
	char c;
	long double x;
};

/* Enums: int, wider than int, and packed. */
enum small { SMALL_A, SMALL_B = 200 };
enum __attribute__((packed)) tiny { TINY_A, TINY_B = 200 };
enum wide { WIDE_A = 0x100000000ULL };
struct enums {
	char c;
	enum small s;
	enum tiny t;
	enum wide w;
	enum small bf : 3;
};

/* #pragma pack and aligned attributes in their positions. */
#pragma pack(push, 2)
struct pack2 {
	char c;
	int i;
	long long ll;
	int bf : 12;
	int : 0;
	char d;
};
#pragma pack(pop)
typedef long long ll_align4 __attribute__((aligned(4)));
struct aligned_mix {
	char c;
	ll_align4 x;
	int y __attribute__((aligned(16)));
	char *__attribute__((aligned(2))) p;
	_Alignas(8) char z;
};

/* A flexible array member and a zero-length array. */
struct flex {
	int n;
	short zero[0];
	long long data[];
};
