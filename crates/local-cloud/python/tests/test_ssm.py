"""Tests of local_moto.ssm: `Fn::GetAtt` of a CloudFormation parameter's `Value` and `Type` (the CDK bootstrap
stack's `BootstrapVersion` output)."""

from conftest import unique


def test_a_parameters_value_and_type_are_attributes_an_output_can_read(aws, stack):
    name = unique("/cdk-bootstrap/version")
    created = stack({
        "Resources": {"Version": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": name, "Type": "String", "Value": "30"}}},
        "Outputs": {
            "BootstrapVersion": {"Value": {"Fn::GetAtt": ["Version", "Value"]}},
            "Kind": {"Value": {"Fn::GetAtt": ["Version", "Type"]}},
        },
    })
    assert created["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created.get("Outputs", [])}
    assert outputs == {"BootstrapVersion": "30", "Kind": "String"}
    assert aws("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "30"
