export { GoRand, TOKEN_VOCABULARY, toInt64Seed, type Int64Seed } from './go-rand.js';
export { fnv1a64, deriveStreamSeed } from './fnv.js';
export { goGamma, goLog, goPow, goRound, frexp, ldexp } from './go-math.js';
