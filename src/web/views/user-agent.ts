// Moved to src/user-agent.ts (mail messages use it too); kept so page modules import it as before.
export { summariseUserAgent } from "../../user-agent.ts";
