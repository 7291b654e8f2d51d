// Framework and agent ids as people know them (names, hostnames), for the
// pages that list tasks and offers.
import { useApi, concerns } from "./api.js";

export function useNames() {
  const agents = useApi("api/v1/agents", { when: concerns.agents });
  const frameworks = useApi("api/v1/frameworks", { when: concerns.frameworks });
  const agentList = (agents.data && agents.data.agents) || [];
  const frameworkList = (frameworks.data && frameworks.data.frameworks) || [];
  const hostnames = new Map(agentList.map((a) => [a.agent_id, a.hostname]));
  const names = new Map(frameworkList.map((f) => [f.info.framework_id, f.info.name]));
  return {
    agents: agentList,
    frameworks: frameworkList,
    agent: (id) => hostnames.get(id) || id,
    framework: (id) => names.get(id) || id,
  };
}
