//! The services the local cloud hosts, and the CloudFormation resource types they provide. Adding a
//! service: a folder under `src/cloud/`, one line in `build`; adding a resource type: a provider file in
//! its service's folder, one line in the provider table below.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::context::CloudContext;
use super::resource_provider::ResourceProvider;
use super::service::{Descriptor, Service};

pub fn build(ctx: &Arc<CloudContext>) -> anyhow::Result<Registry> {
    let sts = Arc::new(super::sts::Sts::new());
    let cloudwatch = Arc::new(super::cloudwatch::CloudWatch::new(ctx)?);
    let kinesis = Arc::new(super::kinesis::Kinesis::new(ctx)?);
    let logs = Arc::new(super::logs::Logs::new(ctx)?);
    let iam = Arc::new(super::iam::Iam::new(ctx)?);
    let s3 = Arc::new(super::s3::S3::new(ctx)?);
    // After Kinesis and S3: it reads through their handles from the start.
    let firehose = Arc::new(super::firehose::Firehose::new(ctx)?);
    let sqs = Arc::new(super::sqs::Sqs::new(ctx)?);
    let lambda = Arc::new(super::lambda::Lambda::new(ctx)?);
    let flink = Arc::new(super::kinesisanalytics::KinesisAnalytics::new(ctx)?);
    // After the services its AWS integrations call, in process.
    let apigateway = Arc::new(super::apigateway::ApiGateway::new(ctx, integration_targets(ctx, &kinesis, &firehose))?);
    let gw = super::apigateway::providers::Handle::new(ctx, &apigateway);
    let providers: Arc<ProviderTable> = Arc::new(ProviderTable::new(vec![
        // One line per resource type.
        Arc::new(super::kinesis::stream_provider::StreamProvider::new(ctx, &kinesis)),
        Arc::new(super::kinesis::consumer_provider::ConsumerProvider::new(ctx, &kinesis)),
        Arc::new(super::cloudwatch::alarm_provider::AlarmProvider::new(ctx, &cloudwatch)),
        Arc::new(super::cloudwatch::dashboard_provider::DashboardProvider::new(ctx, &cloudwatch)),
        Arc::new(super::s3::bucket_provider::BucketProvider::new(&s3, ctx)),
        Arc::new(super::s3::bucket_policy_provider::BucketPolicyProvider::new(&s3)),
        Arc::new(super::logs::group_provider::LogGroupProvider::new(&logs, ctx)),
        Arc::new(super::logs::stream_provider::LogStreamProvider::new(&logs, ctx)),
        Arc::new(super::iam::role_provider::RoleProvider::new(&iam, ctx)),
        Arc::new(super::iam::policy_provider::PolicyProvider::new(&iam, ctx)),
        Arc::new(super::iam::managed_policy_provider::ManagedPolicyProvider::new(&iam, ctx)),
        Arc::new(super::firehose::delivery_stream_provider::DeliveryStreamProvider::new(ctx, &firehose)),
        Arc::new(super::sqs::queue_provider::QueueProvider::new(&sqs)),
        Arc::new(super::sqs::queue_policy_provider::QueuePolicyProvider::new(&sqs)),
        Arc::new(super::lambda::function_provider::FunctionProvider::new(ctx, &lambda)),
        Arc::new(super::lambda::permission_provider::PermissionProvider::new(ctx, &lambda)),
        Arc::new(super::lambda::event_source_mapping_provider::EventSourceMappingProvider::new(ctx, &lambda)),
        Arc::new(super::apigateway::providers::rest_api::RestApiProvider(gw.clone())),
        Arc::new(super::apigateway::providers::resource::ApiResourceProvider(gw.clone())),
        Arc::new(super::apigateway::providers::method::MethodProvider(gw.clone())),
        Arc::new(super::apigateway::providers::model::ModelProvider(gw.clone())),
        Arc::new(super::apigateway::providers::request_validator::RequestValidatorProvider(gw.clone())),
        Arc::new(super::apigateway::providers::deployment::DeploymentProvider(gw.clone())),
        Arc::new(super::apigateway::providers::stage::StageProvider(gw.clone())),
        Arc::new(super::apigateway::providers::usage_plan::UsagePlanProvider(gw.clone())),
        Arc::new(super::apigateway::providers::api_key::ApiKeyProvider(gw.clone())),
        Arc::new(super::apigateway::providers::usage_plan_key::UsagePlanKeyProvider(gw.clone())),
        Arc::new(super::apigateway::providers::account::AccountProvider(gw)),
        Arc::new(super::kinesisanalytics::application_provider::ApplicationProvider::new(ctx, &flink)),
        Arc::new(super::kinesisanalytics::logging_option_provider::LoggingOptionProvider::new(ctx, &flink)),
    ]));
    let table = providers.clone();
    let lookup = Box::new(move |t: &str| table.get(t).cloned());
    let cloudformation = Arc::new(super::cloudformation::CloudFormation::new(ctx, lookup)?);
    Ok(Registry::new(
        vec![sts, cloudwatch, kinesis, s3, logs, iam, firehose, sqs, lambda, apigateway, flink, cloudformation],
        providers,
    ))
}

/// The services API Gateway's AWS integrations reach in process, by the name their URIs use.
fn integration_targets(
    ctx: &Arc<CloudContext>,
    kinesis: &Arc<super::kinesis::Kinesis>,
    firehose: &Arc<super::firehose::Firehose>,
) -> super::apigateway::ServiceLookup {
    use super::resource_provider::ServiceApi;
    use super::service::Protocol;
    let targets = [
        ("kinesis", ServiceApi::new(ctx, kinesis.clone(), Protocol::AwsJson1_1)),
        ("firehose", ServiceApi::new(ctx, firehose.clone(), Protocol::AwsJson1_1)),
    ];
    Box::new(move |name: &str| targets.iter().find(|(n, _)| *n == name).map(|(_, api)| api.clone()))
}

/// The CloudFormation resource types the local cloud can create, by type name.
pub struct ProviderTable {
    providers: BTreeMap<&'static str, Arc<dyn ResourceProvider>>,
}

impl ProviderTable {
    pub fn new(providers: Vec<Arc<dyn ResourceProvider>>) -> Self {
        ProviderTable { providers: providers.into_iter().map(|p| (p.type_name(), p)).collect() }
    }

    pub fn get(&self, type_name: &str) -> Option<&Arc<dyn ResourceProvider>> {
        self.providers.get(type_name)
    }

    pub fn type_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.providers.keys().copied()
    }
}

pub struct Registry {
    services: Vec<Arc<dyn Service>>,
    providers: Arc<ProviderTable>,
}

impl Registry {
    pub fn new(services: Vec<Arc<dyn Service>>, providers: Arc<ProviderTable>) -> Self {
        Registry { services, providers }
    }

    pub fn providers(&self) -> &Arc<ProviderTable> {
        &self.providers
    }

    pub fn all(&self) -> &[Arc<dyn Service>] {
        &self.services
    }

    fn find(&self, pred: impl Fn(&Descriptor) -> bool) -> Option<&Arc<dyn Service>> {
        self.services.iter().find(|s| pred(s.descriptor()))
    }

    pub fn by_json_target(&self, prefix: &str) -> Option<&Arc<dyn Service>> {
        self.find(|d| d.json_target == Some(prefix))
    }

    pub fn by_cbor_service(&self, name: &str) -> Option<&Arc<dyn Service>> {
        self.find(|d| d.cbor_service == Some(name))
    }

    pub fn by_query(&self, signing_name: Option<&str>, version: Option<&str>) -> Option<&Arc<dyn Service>> {
        signing_name
            .and_then(|n| self.find(|d| d.query.is_some() && d.signing_name == n))
            .or_else(|| version.and_then(|v| self.find(|d| d.query.is_some_and(|q| q.version == v))))
    }

    pub fn by_open_path(&self, segment: &str) -> Option<&Arc<dyn Service>> {
        self.find(|d| d.open_path == Some(segment))
    }

    pub fn by_rest(&self, signing_name: &str) -> Option<&Arc<dyn Service>> {
        self.find(|d| d.rest && d.signing_name == signing_name)
    }
}
