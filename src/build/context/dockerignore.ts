// The matcher lives in common/ so that the CLI (which builds the context)
// and the builder (which applies it again) share one implementation.
export { IgnoreMatcher, parseDockerignore } from '../../common/dockerignore.js';
