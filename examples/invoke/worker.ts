/** What the app sends the worker. */
interface ReportRequest {
  month: string;
  amounts: number[];
}

/** The worker function: sums a month's amounts; refuses a request without them. */
export const handler = async (event: ReportRequest) => {
  if (!Array.isArray(event.amounts)) throw new TypeError('amounts must be an array of numbers');
  const total = event.amounts.reduce((sum, amount) => sum + amount, 0);
  console.log(`report for ${event.month}: ${total}`);
  return { month: event.month, count: event.amounts.length, total };
};
