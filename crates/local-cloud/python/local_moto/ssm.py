"""SSM: `Fn::GetAtt` of a CloudFormation `AWS::SSM::Parameter` answers its `Value` and `Type`, as AWS documents
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-parameter.html, "Fn::GetAtt");
moto 5.2.1 has neither, so an output reading one was dropped: the CDK bootstrap stack's `BootstrapVersion`, which
`cdk deploy` reads before it publishes assets."""

from moto.ssm.models import Parameter

from local_moto.common import Context

ATTRIBUTES = ("Type", "Value")


def patch(ctx: Context) -> None:
    Parameter.has_cfn_attr = classmethod(lambda cls, attr: attr in ATTRIBUTES)

    def get_cfn_attribute(self, attribute_name):
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Value":
            return self.value
        if attribute_name == "Type":
            return self.parameter_type
        raise UnformattedGetAttTemplateException()

    Parameter.get_cfn_attribute = get_cfn_attribute
