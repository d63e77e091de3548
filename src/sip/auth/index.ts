export {
  type CredentialLookup,
  type DigestAlgorithm,
  DigestChallenger,
  type DigestChallengerOptions,
  type DigestVerdict,
} from "./digest-challenger.ts";
export { DigestClient, type DigestCredentialsInput } from "./digest-client.ts";
export { formatDigestParams, parseDigestParams } from "./digest-params.ts";
