//! API Gateway's settings: the account-level throttle every stage method starts from (AWS's default
//! quota: 10,000 requests per second with a burst of 5,000, per account and region).

#[derive(Debug, Clone)]
pub struct ApiGatewaySettings {
    pub account_rate_limit: f64,
    pub account_burst_limit: i64,
}

impl Default for ApiGatewaySettings {
    fn default() -> Self {
        ApiGatewaySettings { account_rate_limit: 10_000.0, account_burst_limit: 5_000 }
    }
}
