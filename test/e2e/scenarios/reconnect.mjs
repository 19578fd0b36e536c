/** @param {import("../run.mjs").Context} ctx */
export async function reconnectScenario(ctx) {
  void ctx;
}
