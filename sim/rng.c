/* SPDX-License-Identifier: MIT */
/*
 * xoshiro256** (Blackman & Vigna), seeded through splitmix64, written from
 * the published algorithm description.
 */
#include <string.h>

#include "sim/rng.h"
#include "sim/trace.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Rejection sampling: draw until the value falls below the largest multiple
 * of @bound, so every residue is equally likely. */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t bound)
{
	uint64_t limit, v;

	if (bound == 0)
		return 0;
	limit = UINT64_MAX - UINT64_MAX % bound;
	do
		v = sim_rng_next(r);
	while (v >= limit);
	return v % bound;
}

uint64_t sim_fnv1a64(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void sim_rng_fill(struct sim_world *w, void *buf, size_t len)
{
	struct sim_rng *r = sim_world_rng(w);
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = sim_rng_next(r);
		uint8_t le[8];

		for (int k = 0; k < 8; k++)
			le[k] = (uint8_t)(v >> (8 * k));
		memcpy(b + i, le, len - i < 8 ? len - i : 8);
	}
	SIM_TRACE(w, sim_rng_fill, (unsigned long)len,
		  (unsigned long long)sim_fnv1a64(buf, len));
}
